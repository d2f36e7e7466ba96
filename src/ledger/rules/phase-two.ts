// Phase 2, cardano-ledger Alonzo/Conway UTXOS (`collectPlutusScriptsWithContext`, `evalPlutusScripts`): once
// every phase-1 rule holds, each Plutus script the transaction needs runs, and the outcome must agree with the
// transaction's is_valid flag (`ValidationTagMismatch`). A script whose language has no cost model in the
// protocol parameters cannot be collected (`CollectErrors`, NoCostModel). A transaction claiming a failure
// while running no Plutus script at all passes unexpectedly. Running the scripts is not implemented yet, nor
// is the phase-1 check that every Plutus script a transaction carries (witness set or an output's reference
// script) deserialises (`validateScriptsWellFormed`): a transaction that needs either is refused as
// UnsupportedFeature, never accepted unchecked.
import type { PlutusParams } from "../params.ts";
import type { TxOutput } from "../tx-output.ts";
import type { F } from "./failure.ts";
import type { PhaseOneScripts } from "./phase-one-scripts.ts";

export type PhaseTwoFailure =
  | F<"CollectErrors", { noCostModel: number[] }>
  | F<"ValidationTagMismatch", { isValid: boolean }>
  | F<"UnsupportedFeature", { features: string[] }>;

/**
 * Whether judging `tx` needs what is not implemented yet — running or deserialising Plutus scripts — whatever the
 * UTxO holds: it carries redeemers or Plutus scripts (in its witness set or an output), or claims a script fails.
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

export function phaseTwo(
  tx: { readonly isValid: boolean; readonly carriesPlutus: boolean },
  scripts: Pick<PhaseOneScripts, "plutusPurposes" | "languages">,
  plutus: PlutusParams | undefined,
): PhaseTwoFailure[] {
  if (scripts.plutusPurposes.length === 0 && tx.carriesPlutus)
    return [
      {
        kind: "UnsupportedFeature",
        features: ["Plutus script deserialisation"],
        message: "poolfleet's ledger cannot yet check that the Plutus scripts a transaction carries are well formed",
      },
    ];
  if (scripts.plutusPurposes.length === 0)
    return tx.isValid
      ? []
      : [
          {
            kind: "ValidationTagMismatch",
            isValid: false,
            message: "the transaction is marked invalid (is_valid false), but it runs no Plutus script that could fail",
          },
        ];
  if (!plutus)
    return [
      {
        kind: "UnsupportedFeature",
        features: ["Plutus scripts without the Alonzo and Conway protocol parameters"],
        message:
          "the node's configuration gives no cost models, prices or collateral rules, so it cannot run Plutus scripts",
      },
    ];
  const noCostModel = [...scripts.languages].filter((l) => !plutus.costModels.has(l)).sort();
  if (noCostModel.length > 0)
    return [
      {
        kind: "CollectErrors",
        noCostModel,
        message: `the protocol parameters hold no cost model for Plutus ${noCostModel.map((l) => `V${l}`).join(", ")}`,
      },
    ];
  return [
    {
      kind: "UnsupportedFeature",
      features: ["Plutus script evaluation"],
      message: "poolfleet's ledger does not run Plutus scripts yet, so it cannot judge this transaction",
    },
  ];
}
