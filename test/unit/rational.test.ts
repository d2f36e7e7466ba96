import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareRational, formatRational, parseRational } from "../../src/crypto/rational.ts";

describe("parseRational", () => {
  const ok: [string, string][] = [
    ["0.05", "1/20"],
    ["1/20", "1/20"],
    ["5e-2", "1/20"],
    ["3", "3"],
    ["0.0012", "3/2500"],
    ["2167067591783/1259333994152147", "2167067591783/1259333994152147"],
    [".5", "1/2"],
    ["10/4", "5/2"],
  ];
  for (const [text, expected] of ok)
    it(`${text} is exactly ${expected}`, () => assert.equal(formatRational(parseRational(text)), expected));
  for (const bad of ["", "abc", "1/0", "0x10", "1..2", "1/2/3", "NaN", "1e99999"]) {
    it(`rejects "${bad}"`, () => assert.throws(() => parseRational(bad)));
  }
  it("compares exactly", () => {
    assert.equal(compareRational(parseRational("0.1"), parseRational("1/10")), 0);
    assert.equal(compareRational(parseRational("1/3"), parseRational("0.3333333333333333333")), 1);
  });
});
