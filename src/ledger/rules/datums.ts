// Datums, cardano-ledger Alonzo Utxow.hs `missingRequiredDatums` with Babbage/Conway's
// `getInputDataHashesTxBody` and `getSupplementalDataHashes`: a spent output locked by a Plutus script that
// names its datum by hash needs that datum in the witness set (`MissingRequiredDatums`); one with no datum at
// all cannot be spent by a Plutus V1 or V2 script (`UnspendableUTxONoDatumHash`; V3 may, CIP-69; an inline datum
// needs no witness); and a datum nobody spends may come along only when an output of the transaction or a
// reference input names its hash (`NotAllowedSupplementalDatums`).
import type { TxOutput } from "../tx-output.ts";
import type { F } from "./failure.ts";

export type DatumFailure =
  | F<"UnspendableUTxONoDatumHash", { inputs: string[] }>
  | F<"MissingRequiredDatums", { missing: string[]; received: string[] }>
  | F<"NotAllowedSupplementalDatums", { unallowed: string[]; acceptable: string[] }>;

export interface DatumContext {
  /** Spent outputs by reference, with the language of the script locking each (0 native, none for keys). */
  readonly spent: readonly { ref: string; output: TxOutput; language: number | undefined }[];
  /** Datum hashes the transaction's outputs and its reference inputs' outputs name. */
  readonly allowed: ReadonlySet<string>;
  /** Hashes of the datums in the witness set. */
  readonly received: ReadonlySet<string>;
}

export function datumFailures(ctx: DatumContext): DatumFailure[] {
  const failures: DatumFailure[] = [];
  const inputHashes = new Set<string>();
  const noDatum: string[] = [];
  for (const { ref, output, language } of ctx.spent) {
    if (language === undefined || language === 0) continue; // key-locked, native script or script not provided
    if (output.datumHash) inputHashes.add(output.datumHash);
    else if (!output.inlineDatum && language < 3) noDatum.push(ref);
  }
  if (noDatum.length > 0)
    failures.push({
      kind: "UnspendableUTxONoDatumHash",
      inputs: noDatum,
      message: `inputs ${noDatum.join(", ")} are locked by Plutus V1/V2 scripts but carry no datum, so they cannot be spent`,
    });
  const missing = [...inputHashes].filter((h) => !ctx.received.has(h));
  if (missing.length > 0)
    failures.push({
      kind: "MissingRequiredDatums",
      missing,
      received: [...ctx.received],
      message: `spent script outputs name datums ${missing.join(", ")}, which the witness set does not carry`,
    });
  const supplemental = [...ctx.received].filter((h) => !inputHashes.has(h));
  const unallowed = supplemental.filter((h) => !ctx.allowed.has(h));
  if (unallowed.length > 0)
    failures.push({
      kind: "NotAllowedSupplementalDatums",
      unallowed,
      acceptable: supplemental.filter((h) => ctx.allowed.has(h)),
      message: `the witness set carries datums ${unallowed.join(", ")}, which no spent input, output or reference input names`,
    });
  return failures;
}
