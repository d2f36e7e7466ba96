// cardano-ledger Babbage/Conway UTXOW, the scripts a transaction needs (`getScriptsNeeded`,
// `babbageMissingScripts`, `validateFailedBabbageScripts`): each script-locked input and each minting policy
// needs its script in the witness set (`MissingScriptWitnessesUTXOW`), a script nobody needs is refused
// (`ExtraneousScriptWitnessesUTXOW`), and every native script needed must hold (`evalTimelock`, else
// `ScriptWitnessNotValidatingUTXOW`). Plutus scripts are not run by poolfleet's ledger: a transaction carrying
// them is refused as UnsupportedFeature before this rule.
import { evalTimelock, type NativeScriptWitness, type TimelockContext } from "../native-script.ts";
import type { F } from "./failure.ts";

export type ScriptFailure =
  | F<"MissingScriptWitnessesUTXOW", { scriptHashes: string[] }>
  | F<"ExtraneousScriptWitnessesUTXOW", { scriptHashes: string[] }>
  | F<"ScriptWitnessNotValidatingUTXOW", { scriptHashes: string[] }>;

export function scriptFailures(
  needed: ReadonlySet<string>,
  provided: readonly NativeScriptWitness[],
  ctx: TimelockContext,
): ScriptFailure[] {
  const byHash = new Map(provided.map((w) => [w.hash, w.script]));
  const failures: ScriptFailure[] = [];
  const missing = [...needed].filter((h) => !byHash.has(h));
  if (missing.length > 0)
    failures.push({
      kind: "MissingScriptWitnessesUTXOW",
      scriptHashes: missing,
      message: `scripts ${missing.join(", ")} lock inputs or mint tokens, and the witness set does not carry them`,
    });
  const extra = [...byHash.keys()].filter((h) => !needed.has(h));
  if (extra.length > 0)
    failures.push({
      kind: "ExtraneousScriptWitnessesUTXOW",
      scriptHashes: extra,
      message: `the witness set carries scripts ${extra.join(", ")}, which no input or minting policy needs`,
    });
  const failing = [...needed].filter((h) => byHash.has(h) && !evalTimelock(byHash.get(h)!, ctx));
  if (failing.length > 0)
    failures.push({
      kind: "ScriptWitnessNotValidatingUTXOW",
      scriptHashes: failing,
      message: `native scripts ${failing.join(", ")} do not hold: a signature they require is missing or the validity interval is outside their time locks`,
    });
  return failures;
}
