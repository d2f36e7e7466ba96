// GetGenesisConfig (Shelley query 11): the node's Shelley genesis as cardano-node answers it, a CompactGenesis —
// the ShelleyGenesis record with the initial funds and the genesis staking emptied
// (ouroboros-consensus Shelley/Ledger/Config.hs compactGenesis) — encoded as a 15-field array:
//   [systemStart, networkMagic, networkId, activeSlotsCoeff, securityParam, epochLength, slotsPerKESPeriod,
//    maxKESEvolutions, slotLength, updateQuorum, maxLovelaceSupply, protocolParams, genDelegs, initialFunds,
//    staking]
// (ouroboros-consensus Shelley/Ledger/Query/LegacyShelleyGenesis.hs, encodeShelleyGenesisNoExtraConfig and
// encodeLegacyShelleyGenesis). Field by field, at shelleyProtVer: the start as UTCTime [year, day, picoseconds];
// the network id as Testnet 0 / Mainnet 1; the active slot coefficient as a Rational [num, den] with no tag
// (cardano-ledger-binary's encodeRatio); the slot length as Data.Fixed Micro, i.e. whole microseconds; the
// Shelley protocol parameters with tag-30 bounded ratios and the extra entropy as a Nonce ([0] neutral, [1, h]).
// The protocol parameters changed with node 10.5: from NodeToClientV_21 (ShelleyNodeToClientVersion13,
// genesisConfigEnDecoding) they are the ledger's current 17 fields with the protocol version as one [major, minor]
// item; before it, LegacyPParams's 18 fields with major and minor as two adjacent items.
import { hexToBytes } from "../crypto/bytes.ts";
import { parseRational, type Rational } from "../crypto/rational.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import { bigUint, enc, encodeSystemStart, rawArray, rawMap, rational } from "./state-query-cbor.ts";
import { N2C_VERSION_BIT } from "./n2c-handshake.ts";

/** The first node-to-client version that gets the current (not Legacy) protocol-parameter layout. */
export const GENESIS_CURRENT_LAYOUT_FROM = 21 | N2C_VERSION_BIT;

const untaggedRatio = (r: Rational): Uint8Array => enc([r.num, r.den]);

/** A whole number of the genesis document, or `fallback` (the field is optional in cardano-node's files too). */
function count(doc: Record<string, unknown>, key: string, fallback: number | bigint = 0): bigint {
  const v = doc[key];
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
  return BigInt(fallback);
}

/** A Nonce as the ledger writes it: NeutralNonce [0], Nonce h [1, h] (from the genesis JSON's {tag, contents}). */
function nonce(value: unknown): Uint8Array {
  const v = value as { tag?: string; contents?: string } | null | undefined;
  if (v?.tag === "Nonce" && typeof v.contents === "string" && /^[0-9a-f]{64}$/.test(v.contents)) {
    return enc([1, hexToBytes(v.contents)]);
  }
  return enc([0]);
}

/** Shelley's PParams from the genesis `protocolParams`, in the layout of the negotiated version. */
function shelleyParams(g: ShelleyGenesis, legacy: boolean): Uint8Array {
  const pp = (g.document.protocolParams ?? {}) as Record<string, unknown>;
  const ratio = (key: string): Uint8Array => rational(g.exactNumber(["protocolParams", key]) ?? parseRational("0"));
  const version = (pp.protocolVersion ?? {}) as { major?: number; minor?: number };
  const [major, minor] = [enc(version.major ?? 0), enc(version.minor ?? 0)];
  return rawArray([
    enc(count(pp, "minFeeA")),
    enc(count(pp, "minFeeB")),
    enc(count(pp, "maxBlockBodySize")),
    enc(count(pp, "maxTxSize")),
    enc(count(pp, "maxBlockHeaderSize")),
    enc(count(pp, "keyDeposit")),
    enc(count(pp, "poolDeposit")),
    enc(count(pp, "eMax")),
    enc(count(pp, "nOpt")),
    ratio("a0"),
    ratio("rho"),
    ratio("tau"),
    ratio("decentralisationParam"),
    nonce(pp.extraEntropy),
    ...(legacy ? [major, minor] : [rawArray([major, minor])]),
    enc(count(pp, "minUTxOValue")),
    enc(count(pp, "minPoolCost")),
  ]);
}

/** genDelegs: Map (KeyHash Genesis) GenDelegPair, the pair as [delegate key hash, VRF key hash]. */
function genDelegs(doc: Record<string, unknown>): Uint8Array {
  const delegs = (doc.genDelegs ?? {}) as Record<string, { delegate?: string; vrf?: string }>;
  const hex = (s: unknown, n: number) =>
    typeof s === "string" && s.length === 2 * n ? hexToBytes(s) : new Uint8Array(n);
  return rawMap(
    Object.entries(delegs).map(([k, d]) => [k, enc(hex(k, 28)), enc([hex(d.delegate, 28), hex(d.vrf, 32)])] as const),
  );
}

/** The CompactGenesis answer for a client that negotiated node-to-client `version` (bit 15 set). */
export function encodeGenesisConfig(g: ShelleyGenesis, version: number): Uint8Array {
  const doc = g.document;
  const slotLength = g.exactNumber(["slotLength"]) ?? parseRational(`${g.slotLengthMs / 1000}`);
  const micros = (slotLength.num * 1_000_000n) / slotLength.den;
  const emptyMap = Uint8Array.of(0xa0);
  return rawArray([
    encodeSystemStart(g.systemStart),
    enc(g.networkMagic),
    enc(g.networkId === "Mainnet" ? 1 : 0),
    untaggedRatio(g.activeSlotsCoeff),
    enc(g.securityParam),
    enc(g.epochLength),
    enc(g.slotsPerKESPeriod),
    enc(g.maxKESEvolutions),
    bigUint(micros),
    enc(count(doc, "updateQuorum")),
    enc(count(doc, "maxLovelaceSupply")),
    shelleyParams(g, version < GENESIS_CURRENT_LAYOUT_FROM),
    genDelegs(doc),
    emptyMap, // initialFunds: emptied by compactGenesis (a ListMap, written as a CBOR map)
    rawArray([emptyMap, emptyMap]), // staking: emptyGenesisStaking, [pools, stake]
  ]);
}
