// Phase 2, cardano-ledger Alonzo/Babbage/Conway UTXOS (`collectPlutusScriptsWithContext`, `evalPlutusScripts`,
// `alonzoEvalScriptsTxValid`/`alonzoEvalScriptsTxInvalid`): once every phase-1 rule holds, each Plutus script
// the transaction needs runs on its redeemer (and datum) and the ScriptContext of its language
// (plutus/context-v3.ts), within the redeemer's execution units (plutus/evaluate.ts). The outcome must agree
// with the is_valid flag (`ValidationTagMismatch`): all pass and is_valid, the transaction applies; one fails and
// is_valid false, only the collateral is taken. A script whose language has no cost model, or a transaction the
// ledger cannot translate for it, is `CollectErrors`. What poolfleet cannot run yet (PlutusV1 and V2 contexts,
// some V3 context fields) is refused as UnsupportedFeature, never accepted unchecked.
import type { PlutusParams } from "../params.ts";
import { type ContextSource, scriptContextV3, txInfoV3 } from "../plutus/context-v3.ts";
import { ContextError, type Data } from "../plutus/data.ts";
import { deserialise, runScript } from "../plutus/evaluate.ts";
import type { TxOutput } from "../tx-output.ts";
import type { F } from "./failure.ts";
import type { PhaseOneScripts } from "./phase-one-scripts.ts";

export type PhaseTwoFailure =
  | F<"CollectErrors", { errors: string[] }>
  | F<"ValidationTagMismatch", { isValid: boolean; errors: string[] }>
  | F<"UnsupportedFeature", { features: string[] }>;

export interface PhaseTwoOutcome {
  readonly failures: PhaseTwoFailure[];
  /** A script failed and the transaction said so: it takes only its collateral. */
  readonly collateralOnly: boolean;
}

/**
 * Whether judging `tx` needs what is not implemented for every transaction — running Plutus scripts — whatever
 * the UTxO holds: it carries redeemers or Plutus scripts (in its witness set or an output), or claims a script
 * fails.
 */
export function needsPlutus(tx: {
  readonly isValid: boolean;
  readonly witnesses: { readonly plutus: { readonly scripts: unknown[]; readonly redeemers: unknown[] } };
  readonly body: { readonly outputs: readonly TxOutput[]; readonly collateralReturn?: TxOutput };
}): boolean {
  const outputs = tx.body.collateralReturn ? [...tx.body.outputs, tx.body.collateralReturn] : tx.body.outputs;
  return (
    !tx.isValid ||
    tx.witnesses.plutus.scripts.length > 0 ||
    tx.witnesses.plutus.redeemers.length > 0 ||
    outputs.some((o) => (o.referenceScript?.language ?? 0) > 0)
  );
}

const unsupported = (feature: string, message: string): PhaseTwoOutcome => ({
  failures: [{ kind: "UnsupportedFeature", features: [feature], message }],
  collateralOnly: false,
});

const mismatch = (isValid: boolean, errors: string[]): PhaseTwoOutcome => ({
  failures: [
    {
      kind: "ValidationTagMismatch",
      isValid,
      errors,
      message: isValid
        ? `the transaction says its scripts pass, and one fails: ${errors.join("; ")}`
        : "the transaction says a script fails (is_valid false), and every script passes",
    },
  ],
  collateralOnly: false,
});

export function phaseTwo(
  src: ContextSource & { readonly isValid: boolean },
  scripts: Pick<PhaseOneScripts, "plutusPurposes" | "languages" | "provided">,
  plutus: PlutusParams | undefined,
): PhaseTwoOutcome {
  if (scripts.plutusPurposes.length === 0)
    return src.isValid ? { failures: [], collateralOnly: false } : mismatch(false, []);
  if (!plutus)
    return unsupported(
      "Plutus scripts without the Alonzo and Conway protocol parameters",
      "the node's configuration gives no cost models, prices or collateral rules, so it cannot run Plutus scripts",
    );
  const noCostModel = [...scripts.languages].filter((l) => !plutus.costModels.has(l)).sort();
  if (noCostModel.length > 0)
    return {
      failures: [
        {
          kind: "CollectErrors",
          errors: noCostModel.map((l) => `NoCostModel PlutusV${l}`),
          message: `the protocol parameters hold no cost model for Plutus ${noCostModel.map((l) => `V${l}`).join(", ")}`,
        },
      ],
      collateralOnly: false,
    };
  const older = [...scripts.languages].filter((l) => l < 3);
  if (older.length > 0)
    return unsupported(
      "PlutusV1 and V2 script contexts",
      `poolfleet's ledger does not build the script context of Plutus ${older.map((l) => `V${l}`).join(", ")} yet`,
    );
  const errors: string[] = [];
  let txInfo: Data;
  try {
    txInfo = txInfoV3(src);
    for (const p of scripts.plutusPurposes) {
      const redeemer = src.witnesses.plutus.redeemers.find((r) => r.tag === p.tag && r.index === p.index)!;
      const script = scripts.provided.get(p.hash)!;
      if (script.language === 0) continue;
      const program = deserialise(script.language, script.bytes);
      if (typeof program === "string") {
        errors.push(`script ${p.hash}: ${program}`);
        continue;
      }
      const context = scriptContextV3(src, txInfo, redeemer);
      const run = runScript(script.language, program, [context], plutus.costModels.get(3)!, redeemer.exUnits);
      if (!run.ok) errors.push(`script ${p.hash} for ${p.tag} ${p.index}: ${run.error}`);
    }
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    if (error.unsupported) return unsupported("Plutus script context", error.message);
    return {
      failures: [{ kind: "CollectErrors", errors: [error.message], message: error.message }],
      collateralOnly: false,
    };
  }
  if (errors.length === 0) return src.isValid ? { failures: [], collateralOnly: false } : mismatch(false, []);
  return src.isValid ? mismatch(true, errors) : { failures: [], collateralOnly: true };
}
