// The Praos leader check, exactly as cardano-ledger's checkLeaderNatValue: Haskell's Data.Fixed E34 arithmetic
// (values are integers scaled by 10^34, every product and quotient floored) with NonIntegral's ln' and
// taylorExpCmp ported step for step. Integers only; a different rounding anywhere could elect a different leader.
import { type Rational } from "./rational.ts";

const RES = 10n ** 34n;
const ONE = RES;
/** NonIntegral's eps = 1 / 10^24, as a fixed-point value. */
const EPS = 10n ** 10n;
const MAX_ITERATIONS = 1000;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
const abs = (a: bigint): bigint => (a < 0n ? -a : a);
const mul = (a: bigint, b: bigint): bigint => floorDiv(a * b, RES);
const div = (a: bigint, b: bigint): bigint => {
  if (b === 0n) throw new RangeError("fixed-point division by zero");
  return floorDiv(a * RES, b);
};
const fromInteger = (i: bigint): bigint => i * RES;
const fromRational = (r: Rational): bigint => floorDiv(r.num * RES, r.den);

function ipowNonNegative(x: bigint, n: bigint): bigint {
  if (n === 0n) return ONE;
  if (n % 2n === 0n) {
    const y = ipowNonNegative(x, n / 2n);
    return mul(y, y);
  }
  return mul(x, ipowNonNegative(x, n - 1n));
}
function ipow(x: bigint, n: bigint): bigint {
  return n < 0n ? div(ONE, ipowNonNegative(x, -n)) : ipowNonNegative(x, n);
}

function taylorExp(x: bigint): bigint {
  let lastX = ONE;
  let acc = ONE;
  let divisor = ONE;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    const nextX = div(mul(lastX, x), divisor);
    if (abs(nextX) < EPS) return acc;
    lastX = nextX;
    acc += nextX;
    divisor += ONE;
  }
  return acc;
}

/** NonIntegral exp' (fixed point). */
export function fixedExp(x: bigint): bigint {
  if (x < 0n) return div(ONE, fixedExp(-x));
  const n = -floorDiv(-x, RES); // ceiling
  const reduced = div(x, fromInteger(n));
  return ipow(taylorExp(reduced), n);
}

const EXP1 = fixedExp(ONE);

function findE(e: bigint, x: bigint): bigint {
  let lower = div(ONE, e);
  let upper = e;
  let l = -1n;
  let u = 1n;
  while (!(lower <= x && x <= upper)) {
    lower = mul(lower, lower);
    upper = mul(upper, upper);
    l *= 2n;
    u *= 2n;
  }
  while (l + 1n !== u) {
    const mid = l + floorDiv(u - l, 2n);
    if (x < ipow(e, mid)) u = mid;
    else l = mid;
  }
  return l;
}

/** Euler's continued fraction for ln(1+x), x >= 0 (NonIntegral lncf with cf). */
function lncf(x: bigint): bigint {
  if (x < 0n) throw new RangeError("lncf is defined for x >= 0");
  // a_1 = x, a_{2k} = a_{2k+1} = k^2 x; b_n = n
  const a = (i: number): bigint => (i === 0 ? x : mul(fromInteger(BigInt(Math.floor((i + 1) / 2)) ** 2n), x));
  let aNm2 = ONE;
  let bNm2 = 0n;
  let aNm1 = 0n;
  let bNm1 = ONE;
  let last: bigint | null = null;
  for (let n = 0; ; n++) {
    const an = a(n);
    const bn = fromInteger(BigInt(n + 1));
    const aN = mul(bn, aNm1) + mul(an, aNm2);
    const bN = mul(bn, bNm1) + mul(an, bNm2);
    const xn = div(aN, bN);
    if (n === MAX_ITERATIONS) return xn;
    if (last !== null && abs(last - xn) < EPS) return xn;
    last = xn;
    aNm2 = aNm1;
    bNm2 = bNm1;
    aNm1 = aN;
    bNm1 = bN;
  }
}

/** NonIntegral ln' (fixed point), for x > 0. */
export function fixedLn(x: bigint): bigint {
  if (x <= 0n) throw new RangeError("ln is defined for x > 0");
  const n = findE(EXP1, x);
  const reduced = div(x, ipow(EXP1, n)) - ONE;
  return fromInteger(n) + lncf(reduced);
}

export type CompareResult = "ABOVE" | "BELOW" | "MaxReached";

/** NonIntegral taylorExpCmp: compare `cmp` with exp(x), stopping as soon as the error bound decides. */
export function taylorExpCmp(boundX: bigint, cmp: bigint, x: bigint): CompareResult {
  let err = x;
  let acc = ONE;
  let divisor = ONE;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    const nextDivisor = divisor + ONE;
    const nextErr = div(mul(err, x), nextDivisor);
    const nextAcc = acc + err;
    const errorTerm = abs(mul(nextErr, boundX));
    if (cmp >= nextAcc + errorTerm) return "ABOVE";
    if (cmp < nextAcc - errorTerm) return "BELOW";
    err = nextErr;
    acc = nextAcc;
    divisor = nextDivisor;
  }
  return "MaxReached";
}

/** An active slot coefficient f with ln(1-f) computed once, as cardano-ledger's mkActiveSlotCoeff. */
export interface ActiveSlotCoeff {
  readonly value: Rational;
  /** ln(1 - f) in fixed point; 0 when f = 1. */
  readonly log: bigint;
}

export function activeSlotCoeff(f: Rational): ActiveSlotCoeff {
  if (f.num <= 0n || f.num > f.den) throw new RangeError("active slot coefficient must be in (0, 1]");
  const log = f.num === f.den ? 0n : fixedLn(ONE - fromRational(f));
  return { value: f, log };
}

/**
 * A leader check for one pool in one epoch: `sigma` is its relative stake. Returns the predicate on the VRF
 * leader value (a natural below `certNatMax`: 2^256 in Praos, 2^512 in TPraos).
 */
export function leaderCheck(sigma: Rational, f: ActiveSlotCoeff, certNatMax: bigint = 2n ** 256n) {
  const always = f.value.num === f.value.den;
  const x = -mul(fromRational(sigma), f.log);
  const boundX = fromInteger(3n);
  return (certNat: bigint): boolean => {
    if (certNat < 0n || certNat >= certNatMax) throw new RangeError("leader value out of range");
    if (always) return true;
    const q = certNatMax - certNat;
    const recipQ = floorDiv(certNatMax * RES, q);
    return taylorExpCmp(boundX, recipQ, x) === "BELOW";
  };
}

export function checkLeaderNatValue(
  certNat: bigint,
  sigma: Rational,
  f: ActiveSlotCoeff,
  certNatMax: bigint = 2n ** 256n,
): boolean {
  return leaderCheck(sigma, f, certNatMax)(certNat);
}
