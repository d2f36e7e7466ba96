// The UTxO rules of the Shelley-family ledger for transactions poolfleet's ledger supports (ada-only, vkey
// witnesses; no scripts, multi-assets or governance). Failures are values named after the Haskell ledger's
// predicate failures (ShelleyUtxoPredFailure / ShelleyUtxowPredFailure) with the figures to act on.
import { bytesToHex } from "../crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../crypto/hash.ts";
import { invalidWitnesses, type TxBody, type TxOutput, type WitnessSet } from "./tx.ts";

export interface UtxoParams {
  readonly minFeeA: bigint;
  readonly minFeeB: bigint;
  readonly minUTxOValue: bigint;
  readonly maxTxSize: number;
}

/** Unspent outputs keyed by "txid#index". */
export type Utxo = ReadonlyMap<string, TxOutput>;

export const outRef = (txId: Uint8Array, index: number): string => `${bytesToHex(txId)}#${index}`;

type F<K extends string, X = object> = { readonly kind: K; readonly message: string } & X;
export type UtxoFailure =
  | F<"InputSetEmptyUTxO">
  | F<"BadInputsUTxO", { inputs: string[] }>
  | F<"ExpiredUTxO", { ttl: bigint; slot: bigint }>
  | F<"OutsideValidityIntervalUTxO", { validityStart: bigint; slot: bigint }>
  | F<"MaxTxSizeUTxO", { size: number; max: number }>
  | F<"FeeTooSmallUTxO", { minimum: bigint; paid: bigint }>
  | F<"ValueNotConservedUTxO", { consumed: bigint; produced: bigint }>
  | F<"OutputTooSmallUTxO", { outputs: number[] }>
  | F<"InvalidWitnessesUTXOW", { keys: string[] }>
  | F<"MissingVKeyWitnessesUTXOW", { keyHashes: string[] }>
  | F<"UnsupportedFeature", { features: string[] }>;

/** The payment key hash of an address whose payment part is a key (Shelley types 0, 2, 4, 6), else null. */
export function paymentKeyHash(address: Uint8Array): string | null {
  const type = address[0]! >> 4;
  if (type > 7 || type % 2 !== 0 || address.length < 29) return null;
  return bytesToHex(address.subarray(1, 29));
}

/** The genesis pseudo-input of an initialFunds address: (Blake2b-256 of the address bytes, 0). */
export function genesisUtxo(initialFunds: Record<string, number | string>): Map<string, TxOutput> {
  const utxo = new Map<string, TxOutput>();
  for (const [addressHex, amount] of Object.entries(initialFunds)) {
    const address = Uint8Array.from(Buffer.from(addressHex, "hex"));
    utxo.set(outRef(blake2b256(address), 0), {
      address,
      coin: BigInt(amount),
      multiAsset: false,
      datumOrScript: false,
    });
  }
  return utxo;
}

export function minFee(params: UtxoParams, txSize: number): bigint {
  return params.minFeeA * BigInt(txSize) + params.minFeeB;
}

/**
 * Check a transaction against the UTxO at `slot` and return the new UTxO, or every failure found.
 * `txSize` is the size of the whole transaction as submitted (body, witnesses, validity flag, metadata).
 */
export function applyTx(
  utxo: Utxo,
  body: TxBody,
  witnesses: WitnessSet,
  txSize: number,
  slot: bigint,
  params: UtxoParams,
): { ok: true; utxo: Map<string, TxOutput> } | { ok: false; failures: UtxoFailure[] } {
  const failures: UtxoFailure[] = [];
  const unsupported = [
    ...body.unsupported,
    ...witnesses.unsupported,
    ...(body.certificates.length > 0 ? ["certificates"] : []),
    ...(body.withdrawals.size > 0 ? ["withdrawals"] : []),
    ...(body.outputs.some((o) => o.multiAsset) ? ["multi-asset outputs"] : []),
    ...(body.outputs.some((o) => o.datumOrScript) ? ["datums or reference scripts"] : []),
  ];
  if (unsupported.length > 0) {
    return {
      ok: false,
      failures: [
        {
          kind: "UnsupportedFeature",
          features: unsupported,
          message: `poolfleet's ledger does not support ${unsupported.join(", ")}`,
        },
      ],
    };
  }
  if (body.inputs.length === 0)
    failures.push({ kind: "InputSetEmptyUTxO", message: "the transaction spends no inputs" });
  const refs = body.inputs.map((i) => outRef(i.txId, i.index));
  const missing = refs.filter((r) => !utxo.has(r));
  if (missing.length > 0)
    failures.push({
      kind: "BadInputsUTxO",
      inputs: missing,
      message: `inputs not in the UTxO (spent or never existed): ${missing.join(", ")}`,
    });
  if (body.ttl !== undefined && slot >= body.ttl) {
    failures.push({
      kind: "ExpiredUTxO",
      ttl: body.ttl,
      slot,
      message: `the transaction expired at slot ${body.ttl}; now slot ${slot}`,
    });
  }
  if (body.validityStart !== undefined && slot < body.validityStart) {
    failures.push({
      kind: "OutsideValidityIntervalUTxO",
      validityStart: body.validityStart,
      slot,
      message: `the transaction is valid from slot ${body.validityStart}; now slot ${slot}`,
    });
  }
  if (txSize > params.maxTxSize)
    failures.push({
      kind: "MaxTxSizeUTxO",
      size: txSize,
      max: params.maxTxSize,
      message: `the transaction is ${txSize} bytes; at most ${params.maxTxSize}`,
    });
  const minimum = minFee(params, txSize);
  if (body.fee < minimum)
    failures.push({
      kind: "FeeTooSmallUTxO",
      minimum,
      paid: body.fee,
      message: `fee ${body.fee} is below the minimum ${minimum} for ${txSize} bytes`,
    });
  const small = body.outputs.flatMap((o, i) => (o.coin < params.minUTxOValue ? [i] : []));
  if (small.length > 0)
    failures.push({
      kind: "OutputTooSmallUTxO",
      outputs: small,
      message: `outputs ${small.join(", ")} hold less than ${params.minUTxOValue} lovelace`,
    });
  if (missing.length === 0) {
    const consumed = refs.reduce((sum, r) => sum + utxo.get(r)!.coin, 0n);
    const produced = body.outputs.reduce((sum, o) => sum + o.coin, 0n) + body.fee;
    if (consumed !== produced) {
      failures.push({
        kind: "ValueNotConservedUTxO",
        consumed,
        produced,
        message: `inputs hold ${consumed} lovelace but outputs and fee take ${produced}`,
      });
    }
    const witnessed = new Set(witnesses.vkeys.map((w) => bytesToHex(blake2b224(w.vkey))));
    const needed = [
      ...new Set(refs.map((r) => paymentKeyHash(utxo.get(r)!.address)).filter((h): h is string => h !== null)),
    ];
    const unwitnessed = needed.filter((h) => !witnessed.has(h));
    if (unwitnessed.length > 0) {
      failures.push({
        kind: "MissingVKeyWitnessesUTXOW",
        keyHashes: unwitnessed,
        message: `no signature from the keys owning the inputs: ${unwitnessed.join(", ")}`,
      });
    }
  }
  const bad = invalidWitnesses(body, witnesses).map(bytesToHex);
  if (bad.length > 0)
    failures.push({
      kind: "InvalidWitnessesUTXOW",
      keys: bad,
      message: `signatures that do not verify over the transaction id, by keys ${bad.join(", ")}`,
    });
  if (failures.length > 0) return { ok: false, failures };
  const next = new Map(utxo);
  for (const r of refs) next.delete(r);
  body.outputs.forEach((o, i) => next.set(outRef(body.id, i), o));
  return { ok: true, utxo: next };
}
