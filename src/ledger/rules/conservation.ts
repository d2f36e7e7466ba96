// cardano-ledger Conway UTXO rule, `validateValueNotConservedUTxO`, in multi-asset values:
//   consumed = inputs + withdrawals + refunds + tokens minted
//   produced = outputs + fee + deposits + donation + tokens burned
// (`getConsumedMaryValue`, `getProducedMaryValue`: a mint's positive part counts as consumed, its negative part
// as produced). Every token in the outputs must come from an input or the mint, and every lovelace be accounted.
import { addValues, assetsWhere, equalValues, type MultiAsset, NO_ASSETS, showValue, type Value } from "../value.ts";
import type { F } from "./failure.ts";

export type ConservationFailure = F<"ValueNotConservedUTxO", { consumed: Value; produced: Value }>;

export interface Balance {
  readonly inputs: readonly Value[];
  readonly withdrawals: bigint;
  readonly refunds: bigint;
  readonly mint: MultiAsset;
  readonly outputs: readonly Value[];
  readonly fee: bigint;
  readonly deposits: bigint;
  readonly donation: bigint;
}

export function conservationFailures(b: Balance): ConservationFailure[] {
  const consumed = addValues(
    ...b.inputs,
    { coin: b.withdrawals + b.refunds, assets: NO_ASSETS },
    { coin: 0n, assets: assetsWhere(b.mint, true) },
  );
  const produced = addValues(
    ...b.outputs,
    { coin: b.fee + b.deposits + b.donation, assets: NO_ASSETS },
    { coin: 0n, assets: assetsWhere(b.mint, false) },
  );
  if (equalValues(consumed, produced)) return [];
  return [
    {
      kind: "ValueNotConservedUTxO",
      consumed,
      produced,
      message: `inputs, withdrawals, refunds and mint give ${showValue(consumed)}, but outputs, fee, deposits and burns take ${showValue(produced)}`,
    },
  ];
}
