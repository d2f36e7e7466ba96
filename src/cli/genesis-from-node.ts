// The network's Shelley genesis as a node tells it (GetGenesisConfig, Shelley query 11: cardano-node's
// CompactGenesis, 15 fields — see src/network/state-query-genesis.ts for the layout), read back into the
// ShelleyGenesis the CLI computes with: system start, magic, network id, active slot coefficient, k, epoch length,
// KES period length and evolutions, slot length. The fields the answer leaves out (initial funds, staking) and
// the file's hash are not known from a node: `hash` is empty and `document` holds the protocol parameters only.
import { type CborValue } from "../codec/cbor.ts";
import { rational } from "../crypto/rational.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import { currentEraResult } from "./local-node.ts";

const whole = (v: CborValue, what: string): number => {
  const n = Number(v as number | bigint);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`GetGenesisConfig: ${what} is not a whole number`);
  return n;
};

/** UTCTime [year, day of the year, picoseconds of the day] as a Date. */
export function utcTimeOf(v: CborValue): Date {
  const [year, day, pico] = v as [number, number, number | bigint];
  return new Date(Date.UTC(Number(year), 0, Number(day)) + Number(BigInt(pico) / 1_000_000_000n));
}

/** The ShelleyGenesis a node's answer to [0, [0, [6, [11]]]] describes. */
export function genesisFromNode(answer: CborValue): ShelleyGenesis {
  const fields = currentEraResult(answer);
  if (!Array.isArray(fields) || fields.length < 15)
    throw new Error("GetGenesisConfig: the answer is not a 15-field Shelley genesis");
  const [start, magic, networkId, coeff, k, epochLength, perKes, maxEvolutions, slotMicros] = fields;
  const [num, den] = ((coeff as { value?: unknown }).value ?? coeff) as [number | bigint, number | bigint];
  const micros = BigInt(slotMicros as number | bigint);
  if (micros % 1000n !== 0n) throw new Error("GetGenesisConfig: the slot length is not a whole number of ms");
  return {
    systemStart: utcTimeOf(start!),
    networkMagic: whole(magic!, "the network magic"),
    networkId: networkId === 1 ? "Mainnet" : "Testnet",
    activeSlotsCoeff: rational(BigInt(num), BigInt(den)),
    securityParam: whole(k!, "the security parameter"),
    epochLength: whole(epochLength!, "the epoch length"),
    slotLengthMs: Number(micros / 1000n),
    slotsPerKESPeriod: whole(perKes!, "slots per KES period"),
    maxKESEvolutions: whole(maxEvolutions!, "max KES evolutions"),
    hash: new Uint8Array(0),
    document: {},
    exactNumber: () => undefined,
  };
}
