// Building and signing ada transactions (inputs, outputs, fee, validity interval, certificates, withdrawals,
// metadata, network id) in Conway's
// encoding: [body, witness_set, is_valid, auxiliary_data]. Used by tests and tools; the ledger reads them back
// through the same decoder as any other transaction.
import { concatBytes, hexToBytes } from "../crypto/bytes.ts";
import { ed25519KeyPairFromSeed, ed25519Sign } from "../crypto/ed25519.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { type CborValue, encodeCbor } from "../codec/cbor.ts";
import { type Certificate, encodeCertificate } from "./certs.ts";
import { type DecodeOptions, decodeTx, type Tx, type TxInput } from "./tx.ts";

export interface TxPlan {
  readonly inputs: TxInput[];
  readonly outputs: { address: Uint8Array; coin: bigint }[];
  readonly fee: bigint;
  readonly ttl?: bigint;
  readonly validityStart?: bigint;
  readonly certificates?: Exclude<Certificate, { kind: "Unsupported" }>[];
  /** Reward account (hex) to the amount withdrawn. */
  readonly withdrawals?: ReadonlyMap<string, bigint>;
  /** Auxiliary data (metadata) exactly as it is to appear in the transaction, e.g. a CBOR map of labels. */
  readonly auxData?: Uint8Array;
  /** Body key 7. Defaults to Blake2b-256 of `auxData` when that is given; null leaves the key out. */
  readonly auxDataHash?: Uint8Array | null;
  /** Body key 15: 0 for testnets, 1 for mainnet. */
  readonly networkId?: number;
  /** Encode the inputs as Conway does, a tag-258 set, instead of a plain array (both are valid). */
  readonly inputsAsSet?: boolean;
}

export interface BuiltTx extends Tx {
  readonly bytes: Uint8Array;
}

export function encodeTxBody(plan: TxPlan): Uint8Array {
  // cbor-x writes a Set as tag 258 around an array; its elements (arrays) are distinct objects, so repeats stay.
  const inputs: CborValue[] = plan.inputs.map((i) => [i.txId, i.index]);
  const m = new Map<CborValue, CborValue>([
    [0, plan.inputsAsSet ? (new Set(inputs) as unknown as CborValue) : inputs],
    [1, plan.outputs.map((o) => [o.address, o.coin])],
    [2, plan.fee],
  ]);
  if (plan.ttl !== undefined) m.set(3, plan.ttl);
  if (plan.certificates?.length) m.set(4, plan.certificates.map(encodeCertificate));
  if (plan.withdrawals?.size) m.set(5, new Map([...plan.withdrawals].map(([a, c]) => [hexToBytes(a), c])));
  const auxDataHash = plan.auxDataHash === undefined && plan.auxData ? blake2b256(plan.auxData) : plan.auxDataHash;
  if (auxDataHash) m.set(7, auxDataHash);
  if (plan.validityStart !== undefined) m.set(8, plan.validityStart);
  if (plan.networkId !== undefined) m.set(15, plan.networkId);
  return encodeCbor(m);
}

/**
 * Sign with each payment/stake signing key seed; returns the whole transaction and its decoded parts (decoded
 * under `options`, Conway's rules by default, so a plan Conway cannot decode throws TxDecodeError).
 */
export function buildTx(plan: TxPlan, signingSeeds: Uint8Array[], options: DecodeOptions = {}): BuiltTx {
  const bodyBytes = encodeTxBody(plan);
  const id = blake2b256(bodyBytes);
  const vkeys = signingSeeds.map((seed) => {
    const kp = ed25519KeyPairFromSeed(seed);
    const w = [kp.publicKey, ed25519Sign(kp, id)];
    kp.secretKey.fill(0);
    return w;
  });
  const witnessBytes = encodeCbor(new Map<CborValue, CborValue>(vkeys.length > 0 ? [[0, vkeys]] : []));
  const aux = plan.auxData ?? Uint8Array.of(0xf6);
  const bytes = concatBytes(Uint8Array.of(0x84), bodyBytes, witnessBytes, Uint8Array.of(0xf5), aux);
  return { bytes, ...decodeTx(bytes, options) };
}
