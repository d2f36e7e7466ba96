// Collateral, cardano-ledger Babbage Utxo.hs `feesOK`/`validateTotalCollateral` and Alonzo Utxo.hs
// (`validateTooManyCollateralInputs`, `validateScriptsNotPaidUTxO`, `validateInsufficientCollateral`,
// `validateCollateralContainsNonADA`): a transaction with redeemers pays with collateral should a script fail.
// The collateral inputs must exist and be locked by keys, not scripts (`ScriptsNotPaidUTxO`); what they hold less
// the collateral return must be ada only (`CollateralContainsNonADA`), at least collateralPercentage % of the
// fee (`InsufficientCollateral`) and, when the body states a total collateral, exactly that
// (`IncorrectTotalCollateralField`); there must be some (`NoCollateralInputs`), and at most
// maxCollateralInputs (`TooManyCollateralInputs`, checked for every transaction).
import type { PlutusParams } from "../params.ts";
import type { TxOutput } from "../tx-output.ts";
import { addAssets, equalAssets, negateAssets, NO_ASSETS, showValue, type Value } from "../value.ts";
import { inputWitness } from "./input-witnesses.ts";
import type { F } from "./failure.ts";

export type CollateralFailure =
  | F<"TooManyCollateralInputs", { max: number; count: number }>
  | F<"NoCollateralInputs">
  | F<"ScriptsNotPaidUTxO", { inputs: string[] }>
  | F<"InsufficientCollateral", { balance: bigint; required: bigint }>
  | F<"CollateralContainsNonADA", { balance: Value }>
  | F<"IncorrectTotalCollateralField", { balance: bigint; stated: bigint }>;

export interface CollateralContext {
  /** The collateral inputs found in the UTxO, by reference. */
  readonly collateral: ReadonlyMap<string, TxOutput>;
  /** How many collateral inputs the body lists. */
  readonly count: number;
  readonly collateralReturn: TxOutput | undefined;
  readonly totalCollateral: bigint | undefined;
  readonly fee: bigint;
  readonly hasRedeemers: boolean;
}

/** What the collateral pays when consumed: the collateral inputs less the collateral return. */
export function collateralBalance(ctx: Pick<CollateralContext, "collateral" | "collateralReturn">): Value {
  const inputs = [...ctx.collateral.values()];
  const back = ctx.collateralReturn;
  return {
    coin: inputs.reduce((n, o) => n + o.coin, 0n) - (back?.coin ?? 0n),
    assets: addAssets(...inputs.map((o) => o.assets), negateAssets(back?.assets ?? NO_ASSETS)),
  };
}

export function collateralFailures(ctx: CollateralContext, params: PlutusParams): CollateralFailure[] {
  const failures: CollateralFailure[] = [];
  if (ctx.count > params.maxCollateralInputs)
    failures.push({
      kind: "TooManyCollateralInputs",
      max: params.maxCollateralInputs,
      count: ctx.count,
      message: `${ctx.count} collateral inputs; at most ${params.maxCollateralInputs}`,
    });
  if (!ctx.hasRedeemers) return failures;
  const scriptLocked = [...ctx.collateral].filter(([, o]) => inputWitness(o.address).kind !== "key").map(([r]) => r);
  if (scriptLocked.length > 0)
    failures.push({
      kind: "ScriptsNotPaidUTxO",
      inputs: scriptLocked,
      message: `collateral inputs ${scriptLocked.join(", ")} are not locked by a key`,
    });
  const balance = collateralBalance(ctx);
  const required = params.collateralPercentage * ctx.fee;
  if (balance.coin * 100n < required)
    failures.push({
      kind: "InsufficientCollateral",
      balance: balance.coin,
      required: (required + 99n) / 100n,
      message: `the collateral pays ${balance.coin} lovelace; ${params.collateralPercentage}% of the fee ${ctx.fee} needs ${(required + 99n) / 100n}`,
    });
  if (!equalAssets(balance.assets, NO_ASSETS))
    failures.push({
      kind: "CollateralContainsNonADA",
      balance,
      message: `the collateral less its return holds tokens besides ada: ${showValue(balance)}`,
    });
  if (ctx.totalCollateral !== undefined && ctx.totalCollateral !== balance.coin)
    failures.push({
      kind: "IncorrectTotalCollateralField",
      balance: balance.coin,
      stated: ctx.totalCollateral,
      message: `the body states total collateral ${ctx.totalCollateral}; the collateral less its return pays ${balance.coin}`,
    });
  if (ctx.collateral.size === 0)
    failures.push({
      kind: "NoCollateralInputs",
      message: "the transaction runs Plutus scripts and offers no collateral",
    });
  return failures;
}
