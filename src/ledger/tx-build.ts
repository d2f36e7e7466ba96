// Building and signing transactions (inputs, outputs with tokens, datums and reference scripts, fee, validity
// interval, certificates, withdrawals, metadata, mint, network id, collateral, reference inputs, required signers,
// native and Plutus scripts, datums, redeemers) in Conway's encoding: [body, witness_set, is_valid,
// auxiliary_data]. Used by tests and tools; the ledger reads them back through the same decoder as any other
// transaction.
import { cborArrayOfRaw, cborMapOfRaw } from "../codec/cbor-raw.ts";
import { concatBytes, hexToBytes } from "../crypto/bytes.ts";
import { ed25519KeyPairFromSeed, ed25519Sign } from "../crypto/ed25519.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { type Certificate, encodeCertificate } from "./certs.ts";
import { nativeScriptToCbor, type NativeScript } from "./native-script.ts";
import { REDEEMER_TAGS, type Redeemer, type ScriptLanguage } from "./plutus-witness.ts";
import { type DecodeOptions, decodeTx, type Tx, type TxInput } from "./tx.ts";
import { assetsToCbor, type MultiAsset, valueToCbor } from "./value.ts";

export interface PlannedOutput {
  readonly address: Uint8Array;
  readonly coin: bigint;
  readonly assets?: MultiAsset;
  readonly datumHash?: Uint8Array;
  /** Plutus data (its CBOR) to carry inline; the output is then written in Babbage's map form. */
  readonly inlineDatum?: Uint8Array;
  /** A script to carry for reference (native: its CBOR; Plutus: its bytes); Babbage's map form too. */
  readonly referenceScript?: { readonly language: ScriptLanguage; readonly bytes: Uint8Array };
}

export interface TxPlan {
  readonly inputs: TxInput[];
  /** Outputs; one with only a datum hash is written in the Alonzo array form [address, value, datum hash]. */
  readonly outputs: PlannedOutput[];
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
  /** Body key 21: the treasury the transaction states it sees. */
  readonly currentTreasuryValue?: bigint;
  /** Native scripts for the witness set (key 1): minting policies and script-locked inputs. */
  readonly nativeScripts?: NativeScript[];
  /** Encode the inputs as Conway does, a tag-258 set, instead of a plain array (both are valid). */
  readonly inputsAsSet?: boolean;
  readonly scriptDataHash?: Uint8Array;
  readonly collateral?: TxInput[];
  readonly requiredSigners?: Uint8Array[];
  readonly collateralReturn?: PlannedOutput;
  readonly totalCollateral?: bigint;
  readonly referenceInputs?: TxInput[];
  /** Plutus scripts for the witness set (keys 3, 6, 7 by language). */
  readonly plutusScripts?: { readonly language: 1 | 2 | 3; readonly bytes: Uint8Array }[];
  /** Plutus data (each its CBOR) for the witness set (key 4). */
  readonly datums?: Uint8Array[];
  /** Redeemers for the witness set (key 5, Conway's map form). */
  readonly redeemers?: Redeemer[];
  /** The is_valid flag; true when not given. */
  readonly isValid?: boolean;
  /** Body key 19: voting procedures, as Conway's CDDL writes them (voter to action id to [vote, anchor]). */
  readonly votes?: CborValue;
  /** Body key 20: proposal procedures, each [deposit, return account, action, anchor]. */
  readonly proposals?: CborValue[];
}

/** An output's bytes: Alonzo's array form, or Babbage's map form when it carries an inline datum or a script. */
export function encodeOutput(o: PlannedOutput): Uint8Array {
  const value = encodeCbor(valueToCbor({ coin: o.coin, assets: o.assets ?? new Map() }));
  const address = encodeCbor(o.address);
  if (!o.inlineDatum && !o.referenceScript)
    return cborArrayOfRaw([address, value, ...(o.datumHash ? [encodeCbor(o.datumHash)] : [])]);
  const tag24 = (b: Uint8Array) => concatBytes(Uint8Array.of(0xd8, 0x18), encodeCbor(b));
  const entries: [Uint8Array, Uint8Array][] = [
    [encodeCbor(0), address],
    [encodeCbor(1), value],
  ];
  if (o.datumHash) entries.push([encodeCbor(2), encodeCbor([0, o.datumHash])]);
  if (o.inlineDatum) entries.push([encodeCbor(2), cborArrayOfRaw([encodeCbor(1), tag24(o.inlineDatum)])]);
  if (o.referenceScript) {
    const { language, bytes } = o.referenceScript;
    const script = cborArrayOfRaw([encodeCbor(language), language === 0 ? bytes : encodeCbor(bytes)]);
    entries.push([encodeCbor(3), tag24(script)]);
  }
  return cborMapOfRaw(entries);
}

export interface BuiltTx extends Tx {
  readonly bytes: Uint8Array;
}

export function encodeTxBody(plan: TxPlan): Uint8Array {
  // cbor-x writes a Set as tag 258 around an array; its elements (arrays) are distinct objects, so repeats stay.
  const inputs: CborValue[] = plan.inputs.map((i) => [i.txId, i.index]);
  const m = new Map<CborValue, CborValue>([
    [0, plan.inputsAsSet ? (new Set(inputs) as unknown as CborValue) : inputs],
    [2, plan.fee],
  ]);
  if (plan.ttl !== undefined) m.set(3, plan.ttl);
  if (plan.certificates?.length) m.set(4, plan.certificates.map(encodeCertificate));
  if (plan.withdrawals?.size) m.set(5, new Map([...plan.withdrawals].map(([a, c]) => [hexToBytes(a), c])));
  const auxDataHash = plan.auxDataHash === undefined && plan.auxData ? blake2b256(plan.auxData) : plan.auxDataHash;
  if (auxDataHash) m.set(7, auxDataHash);
  if (plan.validityStart !== undefined) m.set(8, plan.validityStart);
  if (plan.mint) m.set(9, assetsToCbor(plan.mint));
  if (plan.scriptDataHash) m.set(11, plan.scriptDataHash);
  if (plan.collateral)
    m.set(
      13,
      plan.collateral.map((i) => [i.txId, i.index]),
    );
  if (plan.requiredSigners) m.set(14, plan.requiredSigners);
  if (plan.networkId !== undefined) m.set(15, plan.networkId);
  if (plan.totalCollateral !== undefined) m.set(17, plan.totalCollateral);
  if (plan.referenceInputs)
    m.set(
      18,
      plan.referenceInputs.map((i) => [i.txId, i.index]),
    );
  if (plan.votes !== undefined) m.set(19, plan.votes);
  if (plan.currentTreasuryValue !== undefined) m.set(21, plan.currentTreasuryValue);
  if (plan.proposals?.length) m.set(20, plan.proposals);
  if (plan.donation !== undefined) m.set(22, plan.donation);
  // Outputs keep their bytes as encodeOutput writes them (tag 24 inside), so the body is assembled from parts.
  const raw: [number, Uint8Array][] = [...m].map(([k, v]) => [k as number, encodeCbor(v)]);
  raw.push([1, cborArrayOfRaw(plan.outputs.map(encodeOutput))]);
  if (plan.collateralReturn) raw.push([16, encodeOutput(plan.collateralReturn)]);
  return cborMapOfRaw(raw.sort(([a], [b]) => a - b).map(([k, v]) => [encodeCbor(k), v]));
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
  for (const [key, language] of [
    [3, 1],
    [6, 2],
    [7, 3],
  ] as const) {
    const scripts = (plan.plutusScripts ?? []).filter((s) => s.language === language);
    if (scripts.length > 0)
      witnesses.set(
        key,
        scripts.map((s) => s.bytes),
      );
  }
  if (plan.datums?.length)
    witnesses.set(
      4,
      plan.datums.map((d) => decodeCbor(d)),
    );
  if (plan.redeemers?.length)
    witnesses.set(
      5,
      new Map(
        plan.redeemers.map((r) => [
          [REDEEMER_TAGS.indexOf(r.tag), r.index],
          [decodeCbor(r.data), [r.exUnits.mem, r.exUnits.steps]],
        ]),
      ),
    );
  const witnessBytes = encodeCbor(witnesses);
  const aux = plan.auxData ?? Uint8Array.of(0xf6);
  const validity = Uint8Array.of(plan.isValid === false ? 0xf4 : 0xf5);
  const bytes = concatBytes(Uint8Array.of(0x84), bodyBytes, witnessBytes, validity, aux);
  return { bytes, ...decodeTx(bytes, options) };
}
