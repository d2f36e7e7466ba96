// Running a Plutus script: a maintained UPLC evaluator from npm, @harmoniclabs/plutus-machine (a CEK machine with
// the Plutus cost models, V1-V3, UPLC 1.1.0's constr/case included) with @harmoniclabs/uplc to read the flat
// program. Why this one, not another: README, "Plutus evaluation". What is ours is what cardano-ledger does around
// the machine (Alonzo Plutus/Evaluate.hs, plutus-ledger-api `evaluateScriptRestricting`): the program must
// deserialise (UPLC 1.0.0 for V1 and V2, 1.0.0 or 1.1.0 for V3), is applied to its arguments as Plutus data, runs
// within the redeemer's execution units under the protocol parameters' cost model for its language, and passes
// when it does not fail — a V3 script only when it returns unit.
import { parseUPLC, Application, UPLCConst, type UPLCProgram, type UPLCTerm } from "@harmoniclabs/uplc";
import { CEKConst, CEKError, ExBudget, Machine } from "@harmoniclabs/plutus-machine";
import type { ExUnits } from "../plutus-witness.ts";
import type { Data } from "./data.ts";

/** Cost model parameters each language's evaluator reads (the newest, Plomin's, for V3). */
const EXPECTED_PARAMS: Record<number, number> = { 1: 166, 2: 175, 3: 297 };
/**
 * The machine charges a startup cost of 100 steps and 100 memory whatever the cost model says; Plutus charges the
 * model's `cekStartupCost` (parameters 29 and 30 in every language's list). The difference is settled here, so the
 * budget is the model's: the conformance vectors, whose cost models are all zero, caught it.
 */
const MACHINE_STARTUP = 100n;
const STARTUP_CPU = 29;
const STARTUP_MEM = 30;
/** plutus-ledger-api sets parameters a cost model lacks to the largest cost, so what needs them cannot run. */
const MISSING_PARAM = 9_223_372_036_854_775_807n;

/** The program of a script's bytes, or why it does not deserialise (`MalformedScriptWitnesses`, ...). */
export function deserialise(language: 1 | 2 | 3, script: Uint8Array): UPLCProgram | string {
  let program: UPLCProgram;
  try {
    program = parseUPLC(script, "cbor");
  } catch (error) {
    return `not a flat-encoded UPLC program (${(error as Error).message})`;
  }
  const version = program.version.toString();
  if (version !== "1.0.0" && !(language === 3 && version === "1.1.0"))
    return `UPLC version ${version}, which PlutusV${language} does not accept`;
  return program;
}

export interface RunResult {
  readonly ok: boolean;
  readonly spent: ExUnits;
  /** Why the script failed, when it did. */
  readonly error?: string;
}

/** Apply `program` to `args` and run it within `budget` under `costModel` (the ledger's parameter list). */
export function runScript(
  language: 1 | 2 | 3,
  program: UPLCProgram,
  args: readonly Data[],
  costModel: readonly bigint[],
  budget: ExUnits,
): RunResult {
  const params = [...costModel];
  while (params.length < EXPECTED_PARAMS[language]!) params.push(MISSING_PARAM);
  // The machine's types name each language's array by its length; the array is the ledger's, as given.
  const model = params as unknown as ConstructorParameters<typeof Machine>[0];
  const startup = { mem: params[STARTUP_MEM]!, steps: params[STARTUP_CPU]! };
  const allowed = {
    mem: budget.mem + MACHINE_STARTUP - startup.mem,
    cpu: budget.steps + MACHINE_STARTUP - startup.steps,
  };
  if (allowed.mem < MACHINE_STARTUP || allowed.cpu < MACHINE_STARTUP)
    return { ok: false, spent: startup, error: "the budget does not cover the machine's startup cost" };
  const machine = new Machine(model, new ExBudget(allowed));
  const term = args.reduce<UPLCTerm>((f, a) => new Application(f, UPLCConst.data(a)), program.body);
  const { result, budgetSpent } = machine.eval(term);
  const spent = {
    mem: BigInt(budgetSpent.mem) - MACHINE_STARTUP + startup.mem,
    steps: BigInt(budgetSpent.cpu) - MACHINE_STARTUP + startup.steps,
  };
  if (result instanceof CEKError)
    return { ok: false, spent, error: result.msg ?? "the script failed (error term or budget exceeded)" };
  if (spent.mem > budget.mem || spent.steps > budget.steps)
    return { ok: false, spent, error: `ran out of budget: ${spent.mem} memory, ${spent.steps} steps` };
  if (language === 3 && !(result instanceof CEKConst && result.typeTag === 3))
    return { ok: false, spent, error: "a PlutusV3 script must return unit" };
  return { ok: true, spent };
}
