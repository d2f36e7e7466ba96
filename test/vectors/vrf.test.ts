// ECVRF draft-03 against cardano-base's vrf_ver03_* files and IOG libsodium's vectors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  vrfEvaluate,
  vrfHashToCurve,
  vrfProofToHash,
  vrfProve,
  vrfSecretKeyFromSeed,
  vrfVerify,
} from "../../src/crypto/vrf.ts";
import { fixtureFiles, hex, readFixture, readFixtureJson, unhex } from "../helpers/fixtures.ts";

interface Vector {
  name: string;
  sk: string;
  pk: string;
  alpha: string;
  pi: string;
  beta: string;
}

function parseKeyValueFile(name: string): Vector {
  const fields = new Map<string, string>();
  for (const line of readFixture("vrf", name).toString("utf8").split("\n")) {
    const m = /^(\w+):\s*(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!.trim());
  }
  const get = (k: string): string => {
    const v = fields.get(k);
    if (v === undefined) throw new Error(`${name} has no ${k}`);
    return v === "empty" ? "" : v;
  };
  return { name, sk: get("sk"), pk: get("pk"), alpha: get("alpha"), pi: get("pi"), beta: get("beta") };
}

const cardanoBase = fixtureFiles("vrf", /^vrf_ver03_/).map(parseKeyValueFile);
const libsodium = readFixtureJson<{
  vectors: { index: number; seed: string; pk: string; alpha: string; pi: string; beta: string }[];
}>("vrf", "libsodium-vrf-draft03.json").vectors.map((v) => ({
  name: `libsodium #${v.index}`,
  sk: v.seed,
  pk: v.pk,
  alpha: v.alpha,
  pi: v.pi,
  beta: v.beta,
}));

describe("VRF draft-03 vectors", () => {
  it("has the vectors it expects", () => {
    assert.ok(cardanoBase.length >= 4, "cardano-base vrf_ver03 files");
    assert.equal(libsodium.length, 31);
  });
  for (const v of [...cardanoBase, ...libsodium]) {
    it(`${v.name}: pk derivation, prove, proof_to_hash, verify`, () => {
      const key = vrfSecretKeyFromSeed(unhex(v.sk));
      const alpha = unhex(v.alpha);
      assert.equal(hex(key.publicKey), v.pk);
      const { proof, output } = vrfProve(key, alpha);
      assert.equal(hex(proof), v.pi);
      assert.equal(hex(output), v.beta);
      assert.equal(hex(vrfProofToHash(unhex(v.pi))), v.beta);
      assert.equal(hex(vrfEvaluate(key, alpha)), v.beta);
      const verified = vrfVerify(unhex(v.pk), unhex(v.pi), alpha);
      assert.ok(verified, "proof must verify");
      assert.equal(hex(verified), v.beta);
    });
  }

  it("hash-to-curve matches the published intermediate H values", () => {
    const { vectors } = readFixtureJson<{ vectors: { pk: string; alpha: string; H: string }[] }>(
      "vrf",
      "vrf-draft03-h2c-intermediate.json",
    );
    assert.ok(vectors.length > 0);
    for (const v of vectors) assert.equal(hex(vrfHashToCurve(unhex(v.pk), unhex(v.alpha))), v.H);
  });

  it("rejects a proof for another message, another key, or with any bit flipped", () => {
    const v = libsodium[5]!;
    const pk = unhex(v.pk);
    const pi = unhex(v.pi);
    const alpha = unhex(v.alpha);
    assert.equal(vrfVerify(pk, pi, unhex(`${v.alpha}00`)), null);
    assert.equal(vrfVerify(unhex(libsodium[6]!.pk), pi, alpha), null);
    for (const byte of [0, 31, 32, 47, 48, 79]) {
      const bad = Uint8Array.from(pi);
      bad[byte]! ^= 0x01;
      assert.equal(vrfVerify(pk, bad, alpha), null, `flip in byte ${byte}`);
    }
  });

  it("rejects malformed inputs without throwing", () => {
    const v = libsodium[0]!;
    assert.equal(vrfVerify(unhex(v.pk), new Uint8Array(79), new Uint8Array()), null);
    assert.equal(vrfVerify(new Uint8Array(32), unhex(v.pi), new Uint8Array()), null, "small-order public key");
    const nonCanonicalS = unhex(v.pi);
    nonCanonicalS.fill(0xff, 48, 80);
    assert.equal(vrfVerify(unhex(v.pk), nonCanonicalS, new Uint8Array()), null, "s >= L");
  });
});

describe("VRF on real mainnet headers", () => {
  const { headers } = readFixtureJson<{
    headers: {
      id: string;
      epoch_nonce?: string;
      decoded_from_cbor: { slot: number; vrf_vkey: string; vrf_output: string; vrf_proof: string };
    }[];
  }>("headers", "real-headers.json");
  const withNonce = headers.filter((h) => h.epoch_nonce);
  it("has headers with a known epoch nonce", () => assert.ok(withNonce.length >= 2));
  for (const h of withNonce) {
    it(`${h.id}: the proof verifies for alpha = blake2b256(slot || epoch nonce)`, async () => {
      const { blake2b256 } = await import("../../src/crypto/hash.ts");
      const { concatBytes, u64be } = await import("../../src/crypto/bytes.ts");
      const d = h.decoded_from_cbor;
      const alpha = blake2b256(concatBytes(u64be(d.slot), unhex(h.epoch_nonce!)));
      const out = vrfVerify(unhex(d.vrf_vkey), unhex(d.vrf_proof), alpha);
      assert.ok(out);
      assert.equal(hex(out), d.vrf_output);
      const wrongSlot = blake2b256(concatBytes(u64be(d.slot + 1), unhex(h.epoch_nonce!)));
      assert.equal(vrfVerify(unhex(d.vrf_vkey), unhex(d.vrf_proof), wrongSlot), null);
    });
  }
});
