// Exact rationals for stake fractions and the active slot coefficient: never floating point.

export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new RangeError("denominator is zero");
  const sign = den < 0n ? -1n : 1n;
  const g = gcd(num, den) || 1n;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

/**
 * Parse "0.05", "5e-2", "1/20" or "3" exactly. Throws with the text when it is none of these.
 */
export function parseRational(text: string): Rational {
  const s = text.trim();
  const fraction = /^(-?\d+)\s*\/\s*(\d+)$/.exec(s);
  if (fraction) {
    if (BigInt(fraction[2]!) === 0n) throw new RangeError(`"${text}" has a zero denominator`);
    return rational(BigInt(fraction[1]!), BigInt(fraction[2]!));
  }
  const decimal = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!decimal || (decimal[2] === "" && (decimal[3] ?? "") === "")) {
    throw new SyntaxError(`"${text}" is not a number (use a decimal such as 0.05 or a fraction such as 1/20)`);
  }
  const digits = `${decimal[2]}${decimal[3] ?? ""}` || "0";
  const exponent = BigInt(decimal[4] ?? "0") - BigInt((decimal[3] ?? "").length);
  if (exponent > 10000n || exponent < -10000n) throw new RangeError(`"${text}" has an exponent out of range`);
  let num = BigInt(digits);
  let den = 1n;
  if (exponent >= 0n) num *= 10n ** exponent;
  else den = 10n ** -exponent;
  if (decimal[1] === "-") num = -num;
  return rational(num, den);
}

export function formatRational(r: Rational): string {
  return r.den === 1n ? `${r.num}` : `${r.num}/${r.den}`;
}

export function compareRational(a: Rational, b: Rational): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}
