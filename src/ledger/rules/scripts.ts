// cardano-ledger Babbage/Conway UTXOW, the scripts a transaction needs (`getScriptsNeeded`,
// `babbageMissingScripts`, `validateFailedBabbageScripts`): each script-locked input and each minting policy
// needs its script, from the witness set or as a reference script of an input or reference input
// (`getScriptsProvided`; else `MissingScriptWitnessesUTXOW`); a script in the witness set that nothing needs is
// refused (`ExtraneousScriptWitnessesUTXOW`); and every native script needed must hold (`evalTimelock`, else
// `ScriptWitnessNotValidatingUTXOW`). Plutus scripts run later, once every phase-1 rule holds.
import { evalTimelock, type NativeScript, type TimelockContext } from "../native-script.ts";
import type { F } from "./failure.ts";

export type ScriptFailure =
  | F<"MissingScriptWitnessesUTXOW", { scriptHashes: string[] }>
  | F<"ExtraneousScriptWitnessesUTXOW", { scriptHashes: string[] }>
  | F<"ScriptWitnessNotValidatingUTXOW", { scriptHashes: string[] }>;

/** A script the transaction provides: a native script, or a Plutus script of language 1-3 (with its bytes). */
export type ProvidedScript =
  | { readonly language: 0; readonly script: NativeScript }
  | { readonly language: 1 | 2 | 3; readonly bytes: Uint8Array };

export function scriptFailures(
  needed: ReadonlySet<string>,
  provided: ReadonlyMap<string, ProvidedScript>,
  witnessed: ReadonlySet<string>,
  ctx: TimelockContext,
): ScriptFailure[] {
  const failures: ScriptFailure[] = [];
  const missing = [...needed].filter((h) => !provided.has(h));
  if (missing.length > 0)
    failures.push({
      kind: "MissingScriptWitnessesUTXOW",
      scriptHashes: missing,
      message: `scripts ${missing.join(", ")} lock inputs or mint tokens, and neither the witness set nor a reference input carries them`,
    });
  const extra = [...witnessed].filter((h) => !needed.has(h));
  if (extra.length > 0)
    failures.push({
      kind: "ExtraneousScriptWitnessesUTXOW",
      scriptHashes: extra,
      message: `the witness set carries scripts ${extra.join(", ")}, which no input or minting policy needs`,
    });
  const failing = [...needed].filter((h) => {
    const s = provided.get(h);
    return s?.language === 0 && !evalTimelock(s.script, ctx);
  });
  if (failing.length > 0)
    failures.push({
      kind: "ScriptWitnessNotValidatingUTXOW",
      scriptHashes: failing,
      message: `native scripts ${failing.join(", ")} do not hold: a signature they require is missing or the validity interval is outside their time locks`,
    });
  return failures;
}
