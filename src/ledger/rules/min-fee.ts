// The minimum fee of a Conway transaction (cardano-ledger Conway Tx.hs `getConwayMinFeeTx`): Alonzo's
// `alonzoMinFeeTx` — minFeeA per byte plus minFeeB plus the execution units at their prices, rounded up as one
// sum (`txscriptfee`) — plus the reference scripts' fee (`tierRefScriptFee`): each byte of every reference
// script the transaction's inputs and reference inputs carry (a script referenced twice counts twice) at
// `minFeeRefScriptCostPerByte`, the price growing 1.2 times for each further 25 KiB, rounded down at the end.
import { rational, type Rational } from "../../crypto/rational.ts";
import type { PlutusParams } from "../params.ts";
import type { ExUnits } from "../plutus-witness.ts";

const ceilDiv = (num: bigint, den: bigint): bigint => (num + den - 1n) / den;

/** `txscriptfee`: ceiling(mem * priceMem + steps * priceSteps). */
export function scriptFee(prices: PlutusParams["prices"], units: ExUnits): bigint {
  const num = units.mem * prices.mem.num * prices.steps.den + units.steps * prices.steps.num * prices.mem.den;
  return ceilDiv(num, prices.mem.den * prices.steps.den);
}

const TIER_SIZE = 25_600n;
const TIER_MULTIPLIER = rational(12n, 10n);

/** `tierRefScriptFee 1.2 25600 minFeeRefScriptCostPerByte size`, exact until the final floor. */
export function refScriptFee(pricePerByte: Rational, size: number): bigint {
  let acc = rational(0n, 1n);
  let price = pricePerByte;
  let left = BigInt(size);
  for (;;) {
    const take = left < TIER_SIZE ? left : TIER_SIZE;
    acc = rational(acc.num * price.den + take * price.num * acc.den, acc.den * price.den);
    left -= take;
    if (left === 0n) return acc.num / acc.den;
    price = rational(price.num * TIER_MULTIPLIER.num, price.den * TIER_MULTIPLIER.den);
  }
}

export function totalExUnits(units: readonly ExUnits[]): ExUnits {
  return units.reduce((a, u) => ({ mem: a.mem + u.mem, steps: a.steps + u.steps }), { mem: 0n, steps: 0n });
}
