// Building and signing ada transactions (inputs, outputs, fee, validity interval, certificates, withdrawals) in Conway's
// encoding: [body, witness_set, is_valid, auxiliary_data]. Used by tests and tools; the ledger reads them back
// through the same decoder as any other transaction.
import { concatBytes, hexToBytes } from "../crypto/bytes.ts";
import { ed25519KeyPairFromSeed, ed25519Sign } from "../crypto/ed25519.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { type CborValue, encodeCbor } from "../codec/cbor.ts";
import { type Certificate, encodeCertificate } from "./certs.ts";
import { decodeTx, type Tx, type TxInput } from "./tx.ts";

export interface TxPlan {
  readonly inputs: TxInput[];
  readonly outputs: { address: Uint8Array; coin: bigint }[];
  readonly fee: bigint;
  readonly ttl?: bigint;
  readonly validityStart?: bigint;
  readonly certificates?: Exclude<Certificate, { kind: "Unsupported" }>[];
  /** Reward account (hex) to the amount withdrawn. */
  readonly withdrawals?: ReadonlyMap<string, bigint>;
}

export interface BuiltTx extends Tx {
  readonly bytes: Uint8Array;
}

export function encodeTxBody(plan: TxPlan): Uint8Array {
  const m = new Map<CborValue, CborValue>([
    [0, plan.inputs.map((i) => [i.txId, i.index])],
    [1, plan.outputs.map((o) => [o.address, o.coin])],
    [2, plan.fee],
  ]);
  if (plan.ttl !== undefined) m.set(3, plan.ttl);
  if (plan.certificates?.length) m.set(4, plan.certificates.map(encodeCertificate));
  if (plan.withdrawals?.size) m.set(5, new Map([...plan.withdrawals].map(([a, c]) => [hexToBytes(a), c])));
  if (plan.validityStart !== undefined) m.set(8, plan.validityStart);
  return encodeCbor(m);
}

/** Sign with each payment/stake signing key seed; returns the whole transaction and its decoded parts. */
export function buildTx(plan: TxPlan, signingSeeds: Uint8Array[]): BuiltTx {
  const bodyBytes = encodeTxBody(plan);
  const id = blake2b256(bodyBytes);
  const vkeys = signingSeeds.map((seed) => {
    const kp = ed25519KeyPairFromSeed(seed);
    const w = [kp.publicKey, ed25519Sign(kp, id)];
    kp.secretKey.fill(0);
    return w;
  });
  const witnessBytes = encodeCbor(new Map<CborValue, CborValue>(vkeys.length > 0 ? [[0, vkeys]] : []));
  const bytes = concatBytes(Uint8Array.of(0x84), bodyBytes, witnessBytes, Uint8Array.of(0xf5, 0xf6));
  return { bytes, ...decodeTx(bytes) };
}
