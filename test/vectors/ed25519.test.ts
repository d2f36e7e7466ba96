// Ed25519 against RFC 8032 section 7.1.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from "../../src/crypto/ed25519.ts";
import { fixtureFiles, hex, readFixtureJson, unhex } from "../helpers/fixtures.ts";

interface Vector {
  secret_key_seed: string;
  public_key: string;
  message: string;
  signature: string;
}

describe("Ed25519 vectors", () => {
  for (const file of fixtureFiles("ed25519", /\.json$/)) {
    const { vectors } = readFixtureJson<{ vectors: Vector[] }>("ed25519", file);
    vectors.forEach((v, i) => {
      it(`${file} #${i}: key, signature and verification`, () => {
        const kp = ed25519KeyPairFromSeed(unhex(v.secret_key_seed));
        assert.equal(hex(kp.publicKey), v.public_key);
        const sig = ed25519Sign(kp, unhex(v.message));
        assert.equal(hex(sig), v.signature);
        assert.ok(ed25519Verify(kp.publicKey, unhex(v.message), sig));
        const tampered = Uint8Array.from(sig);
        tampered[10]! ^= 1;
        assert.equal(ed25519Verify(kp.publicKey, unhex(v.message), tampered), false);
        assert.equal(ed25519Verify(kp.publicKey, unhex(`${v.message}00`), sig), false);
      });
    });
  }
});
