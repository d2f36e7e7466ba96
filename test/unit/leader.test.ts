// The exact leader check against (a) figures published by independent ports of cardano-ledger's NonIntegral
// and (b) thresholds computed here in exact rational arithmetic, with no fixed point involved.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { activeSlotCoeff, checkLeaderNatValue, fixedExp, fixedLn, taylorExpCmp } from "../../src/crypto/leader.ts";
import { parseRational, rational, type Rational } from "../../src/crypto/rational.ts";

const ONE = 10n ** 34n;
const MAX = 2n ** 256n;

/**
 * The smallest leader value that does NOT lead, exactly: leader iff p < 1 - (1-f)^(m/k) with p = c / 2^256,
 * i.e. (1-f)^m < (1-p)^k, i.e. (fd-fn)^m * 2^(256k) < fd^m * (2^256 - c)^k. Binary search on c.
 */
function exactThreshold(sigma: Rational, f: Rational): bigint {
  const m = sigma.num;
  const k = sigma.den;
  const left = (f.den - f.num) ** m * MAX ** k;
  const leads = (c: bigint) => left < f.den ** m * (MAX - c) ** k;
  let lo = 0n;
  let hi = MAX;
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (leads(mid)) lo = mid + 1n;
    else hi = mid;
  }
  return lo;
}

describe("NonIntegral fixed point", () => {
  it("ln(0.95) equals the value published by independent NonIntegral ports (Rust and Kotlin tests)", () => {
    assert.equal(fixedLn((95n * ONE) / 100n), -512932943875505334261962382072846n);
  });
  it("ln(1) = 0 and exp(0 < x) agree with ln within the 10^-24 series tolerance", () => {
    assert.equal(fixedLn(ONE), 0n);
    for (const x of [ONE / 7n, ONE, 3n * ONE, 25n * ONE]) {
      const back = fixedLn(fixedExp(x));
      const diff = back > x ? back - x : x - back;
      assert.ok(diff < 10n ** 11n * (x / ONE + 1n), `ln(exp(${x})) = ${back}`);
    }
  });
  it("taylorExpCmp decides above and below exp(x)", () => {
    const e = fixedExp(ONE);
    assert.equal(taylorExpCmp(3n * ONE, e + 10n ** 20n, ONE), "ABOVE");
    assert.equal(taylorExpCmp(3n * ONE, e - 10n ** 20n, ONE), "BELOW");
  });
});

describe("checkLeaderNatValue against exact rational thresholds", () => {
  const cases: [string, string][] = [
    ["1", "1/20"],
    ["1/10", "1/20"],
    ["1/1000", "1/20"],
    ["3/7", "1/20"],
    ["1/3", "1/10"],
    ["2/5", "1/2"],
    ["3/2000", "1/20"],
  ];
  for (const [s, fText] of cases) {
    it(`sigma ${s}, f ${fText}: leads just inside the threshold and not just outside`, () => {
      const sigma = parseRational(s);
      const fr = parseRational(fText);
      const f = activeSlotCoeff(fr);
      const t = exactThreshold(sigma, fr);
      // The fixed-point computation is exact to ~1e-24 relative; step 1e-20 of the range either side.
      const step = MAX / 10n ** 20n;
      assert.equal(checkLeaderNatValue(t - step, sigma, f), true, "just inside");
      assert.equal(checkLeaderNatValue(t + step, sigma, f), false, "just outside");
      assert.equal(checkLeaderNatValue(0n, sigma, f), true, "smallest value always leads");
      assert.equal(checkLeaderNatValue(MAX - 1n, sigma, f), false, "largest value never leads");
    });
  }
  it("no stake never leads; f = 1 always leads", () => {
    assert.equal(checkLeaderNatValue(1n, rational(0n, 1n), activeSlotCoeff(parseRational("0.05"))), false);
    assert.equal(checkLeaderNatValue(MAX - 1n, rational(1n, 100n), activeSlotCoeff(parseRational("1"))), true);
  });
  it("rejects values outside the natural's range", () => {
    assert.throws(() => checkLeaderNatValue(MAX, rational(1n, 2n), activeSlotCoeff(parseRational("0.05"))));
  });
});
