// Sum6 and CompactSum6 KES against files written by cardano-base (via pallas). Picks up any further
// key<D>.bin, key6update<N>.bin and key6Sig<N>.bin (and compact*) dropped into test/fixtures/kes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KesSigningKey, kesVerify, kesVerifyCompact } from "../../src/crypto/kes.ts";
import { fixtureFiles, hex, readFixture, readFixtureJson } from "../helpers/fixtures.ts";

const meta = readFixtureJson<{ seed_ascii: string; message_ascii: string }>("kes", "kes-sum6-vectors.json");
const seed = new TextEncoder().encode(meta.seed_ascii);
const message = new TextEncoder().encode(meta.message_ascii);

for (const compact of [false, true]) {
  const prefix = compact ? "compactkey" : "key";
  const verify = compact ? kesVerifyCompact : kesVerify;
  const sign = (k: KesSigningKey) => (compact ? k.signCompact(message) : k.sign(message));
  describe(`${compact ? "CompactSum" : "Sum"} KES vectors`, () => {
    for (const file of fixtureFiles("kes", new RegExp(`^${prefix}(\\d+)\\.bin$`))) {
      const depth = Number(file.slice(prefix.length, -4));
      it(`${file}: keygen from the seed at depth ${depth} reproduces it`, () => {
        assert.equal(hex(KesSigningKey.generate(seed, depth).toBytes()), hex(readFixture("kes", file)));
      });
    }
    for (const file of fixtureFiles("kes", new RegExp(`^${prefix}6update(\\d+)\\.bin$`))) {
      const n = Number(/update(\d+)/.exec(file)![1]);
      it(`${file}: ${n} evolutions reproduce it`, () => {
        const key = KesSigningKey.generate(seed);
        key.evolveTo(n);
        assert.equal(key.period, n);
        assert.equal(hex(key.toBytes()), hex(readFixture("kes", file)));
      });
    }
    for (const file of fixtureFiles("kes", new RegExp(`^${prefix}6Sig(\\d*)\\.bin$`))) {
      const n = Number(/Sig(\d*)/.exec(file)![1] || "0");
      it(`${file}: signing at period ${n} reproduces it, and it verifies only at period ${n}`, () => {
        const key = KesSigningKey.generate(seed);
        const vk = key.verificationKey;
        key.evolveTo(n);
        const expected = readFixture("kes", file);
        assert.equal(hex(sign(key)), hex(expected));
        for (let t = 0; t < 64; t++) assert.equal(verify(vk, t, message, expected), t === n, `period ${t}`);
        assert.equal(verify(vk, n, new TextEncoder().encode("other message"), expected), false);
      });
    }
  });
}

describe("KES evolution and erasure", () => {
  it("signs and verifies at every one of the 64 periods with a constant verification key", () => {
    const key = KesSigningKey.generate(seed);
    const vk = key.verificationKey;
    for (let t = 0; t < 64; t++) {
      key.evolveTo(t);
      assert.equal(hex(key.verificationKey), hex(vk));
      const sig = key.sign(message);
      assert.ok(kesVerify(vk, t, message, sig), `period ${t}`);
      assert.ok(kesVerifyCompact(vk, t, message, key.signCompact(message)), `compact period ${t}`);
      if (t > 0) assert.equal(kesVerify(vk, t - 1, message, sig), false);
    }
    assert.throws(() => key.evolve(), /last period/);
  });

  it("erases the seeds of subtrees it has left behind", () => {
    const key = KesSigningKey.generate(seed);
    const before = key.toBytes();
    key.evolveTo(32);
    const after = key.toBytes();
    // Entering the right half of the outermost level erases that level's r1 (bytes 512..544).
    assert.notEqual(hex(before.subarray(512, 544)), "00".repeat(32));
    assert.equal(hex(after.subarray(512, 544)), "00".repeat(32));
    // No byte run of the period-0 leaf seed survives.
    assert.equal(Buffer.from(after).indexOf(Buffer.from(before.subarray(0, 32))), -1);
  });

  it("a loaded key evolves from the period it is told, and cannot go back", () => {
    const key = KesSigningKey.generate(seed);
    key.evolveTo(5);
    const loaded = KesSigningKey.fromBytes(key.toBytes(), 5);
    assert.ok(kesVerify(key.verificationKey, 5, message, loaded.sign(message)));
    assert.throws(() => loaded.evolveTo(4), /cannot go back/);
    assert.throws(() => KesSigningKey.fromBytes(new Uint8Array(607)), /608 bytes/);
  });

  it("a wiped key cannot sign", () => {
    const key = KesSigningKey.generate(seed);
    key.wipe();
    assert.equal(hex(key.toBytes()), "00".repeat(608));
    assert.throws(() => key.sign(message));
  });
});
