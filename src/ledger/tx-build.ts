// Building and signing transactions (inputs, outputs with tokens, fee, validity interval, certificates,
// withdrawals, metadata, mint, network id, native scripts) in Conway's encoding: [body, witness_set, is_valid, auxiliary_data]. Used by tests and tools; the ledger reads them back
// through the same decoder as any other transaction.
import { concatBytes, hexToBytes } from "../crypto/bytes.ts";
import { ed25519KeyPairFromSeed, ed25519Sign } from "../crypto/ed25519.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { type CborValue, encodeCbor } from "../codec/cbor.ts";
import { type Certificate, encodeCertificate } from "./certs.ts";
import { nativeScriptToCbor, type NativeScript } from "./native-script.ts";
import { type DecodeOptions, decodeTx, type Tx, type TxInput } from "./tx.ts";
import { assetsToCbor, type MultiAsset, valueToCbor } from "./value.ts";

export interface TxPlan {
  readonly inputs: TxInput[];
  /** Outputs; one with a datum hash is written in the Alonzo array form [address, value, datum hash]. */
  readonly outputs: { address: Uint8Array; coin: bigint; assets?: MultiAsset; datumHash?: Uint8Array }[];
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
  /** Body key 9: tokens minted (> 0) and burned (< 0), written as given (zeros too, to test the decoder). */
  readonly mint?: MultiAsset;
  /** Body key 22: lovelace donated to the treasury. */
  readonly donation?: bigint;
  /** Native scripts for the witness set (key 1): minting policies and script-locked inputs. */
  readonly nativeScripts?: NativeScript[];
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
    [
      1,
      plan.outputs.map((o) => [
        o.address,
        valueToCbor({ coin: o.coin, assets: o.assets ?? new Map() }),
        ...(o.datumHash ? [o.datumHash] : []),
      ]),
    ],
    [2, plan.fee],
  ]);
  if (plan.ttl !== undefined) m.set(3, plan.ttl);
  if (plan.certificates?.length) m.set(4, plan.certificates.map(encodeCertificate));
  if (plan.withdrawals?.size) m.set(5, new Map([...plan.withdrawals].map(([a, c]) => [hexToBytes(a), c])));
  const auxDataHash = plan.auxDataHash === undefined && plan.auxData ? blake2b256(plan.auxData) : plan.auxDataHash;
  if (auxDataHash) m.set(7, auxDataHash);
  if (plan.validityStart !== undefined) m.set(8, plan.validityStart);
  if (plan.mint) m.set(9, assetsToCbor(plan.mint));
  if (plan.networkId !== undefined) m.set(15, plan.networkId);
  if (plan.donation !== undefined) m.set(22, plan.donation);
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
  const witnesses = new Map<CborValue, CborValue>(vkeys.length > 0 ? [[0, vkeys]] : []);
  if (plan.nativeScripts?.length) witnesses.set(1, plan.nativeScripts.map(nativeScriptToCbor));
  const witnessBytes = encodeCbor(witnesses);
  const aux = plan.auxData ?? Uint8Array.of(0xf6);
  const bytes = concatBytes(Uint8Array.of(0x84), bodyBytes, witnessBytes, Uint8Array.of(0xf5), aux);
  return { bytes, ...decodeTx(bytes, options) };
}
