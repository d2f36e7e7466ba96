// Phase 2, cardano-ledger Alonzo/Babbage/Conway UTXOS (`collectPlutusScriptsWithContext`, `evalPlutusScripts`,
// `alonzoEvalScriptsTxValid`/`alonzoEvalScriptsTxInvalid`): once every phase-1 rule holds, each Plutus script
// the transaction needs runs on its redeemer (and datum) and the ScriptContext of its language
// (plutus/context-v1v2.ts, plutus/context-v3.ts), within the redeemer's execution units (plutus/evaluate.ts). The outcome must agree
// with the is_valid flag (`ValidationTagMismatch`): all pass and is_valid, the transaction applies; one fails and
// is_valid false, only the collateral is taken. A script whose language has no cost model, or a transaction the
// ledger cannot translate for it, is `CollectErrors`. What poolfleet cannot show a script yet (votes, proposals, a
// validity interval without the network's slot-to-time conversion) is refused as UnsupportedFeature, never
// accepted unchecked.
import type { PlutusParams } from "../params.ts";
import { type ContextSource, scriptContextV3, txInfoV3 } from "../plutus/context-v3.ts";
import { scriptContextV1V2, txInfoV1V2 } from "../plutus/context-v1v2.ts";
import { ContextError, contextGaps, type Data, fromBytes, spendingDatum } from "../plutus/data.ts";
import { validRange } from "../plutus/time.ts";
import type { Redeemer } from "../plutus-witness.ts";
import { outRef } from "../utxo.ts";
import { sortedRefs } from "./redeemers.ts";
import { deserialise, runScript } from "../plutus/evaluate.ts";
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
 * What a script is applied to: V3 the ScriptContext alone; V1 and V2 the datum (spending), the redeemer and the
 * ScriptContext (`Cardano.Ledger.Alonzo.Plutus.Evaluate`, `PlutusArgs`).
 */
function argsOf(src: ContextSource, language: 1 | 2 | 3, txInfo: Data, redeemer: Redeemer): Data[] {
  if (language === 3) return [scriptContextV3(src, txInfo, redeemer)];
  const context = scriptContextV1V2(src, txInfo, redeemer);
  if (redeemer.tag !== "spend") return [fromBytes(redeemer.data), context];
  const input = sortedRefs(src.body.inputs)[redeemer.index]!;
  const datum = spendingDatum(src.utxo.get(outRef(input.txId, input.index))!, src.witnesses.plutus.datums);
  if (!datum) throw new ContextError(`the output ${outRef(input.txId, input.index)} has no datum for its script`);
  return [datum, fromBytes(redeemer.data), context];
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
  const gaps = contextGaps(src.body, src.witnesses.plutus.redeemers, plutus.time !== undefined);
  if (gaps.length > 0) return unsupported(gaps.join(", "), `not shown to scripts yet: ${gaps.join(", ")}`);
  const errors: string[] = [];
  try {
    const range = validRange(src.body, plutus.time!, plutus.protocolMajor);
    const infos = new Map<number, Data>();
    const infoOf = (l: 1 | 2 | 3): Data => {
      if (!infos.has(l)) infos.set(l, l === 3 ? txInfoV3(src, range) : txInfoV1V2(src, l, plutus.protocolMajor, range));
      return infos.get(l)!;
    };
    for (const p of scripts.plutusPurposes) {
      const redeemer = src.witnesses.plutus.redeemers.find((r) => r.tag === p.tag && r.index === p.index)!;
      const script = scripts.provided.get(p.hash)!;
      if (script.language === 0) continue;
      const program = deserialise(script.language, script.bytes);
      if (typeof program === "string") {
        errors.push(`script ${p.hash}: ${program}`);
        continue;
      }
      const run = runScript(
        script.language,
        program,
        argsOf(src, script.language, infoOf(script.language), redeemer),
        plutus.costModels.get(script.language)!,
        redeemer.exUnits,
      );
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
