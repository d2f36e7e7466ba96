// The Secrets of a KesRotation's Jobs are built by the Jobs' own command from what it is given: the fresh KES key's
// seed is drawn by `kes stage` and passed in, so the builder is a pure function (issue 13: a builder must not
// draw randomness). Same seed, same Secret; the staged kes.vkey is the one that seed grows.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SIGNED_FILE, STAGED_FILES } from "../../src/api/kesrotation-objects.ts";
import type { Owner } from "../../src/api/owner.ts";
import { buildSignedSecret, buildStagedKesSecret } from "../../src/cli/kes-job-secrets.ts";
import { equalBytes } from "../../src/crypto/bytes.ts";
import { KesSigningKey } from "../../src/crypto/kes.ts";
import { parseEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../src/formats/keys.ts";

const owner: Owner = {
  apiVersion: "poolfleet.io/v1alpha1",
  kind: "KesRotation",
  name: "pool1-kes",
  namespace: "pools",
  uid: "0b1c2d3e",
};
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe("kes stage / kes sign Secrets", () => {
  test("the staged Secret is a function of the seed passed in: same seed, same key; another seed, another key", () => {
    const seed = new Uint8Array(32).fill(7);
    const a = buildStagedKesSecret(owner, "pool1", 4, Uint8Array.from(seed));
    const b = buildStagedKesSecret(owner, "pool1", 4, Uint8Array.from(seed));
    assert.deepEqual(a, b);
    const other = buildStagedKesSecret(owner, "pool1", 4, new Uint8Array(32).fill(8));
    assert.notEqual(other.data![STAGED_FILES.kesVkey], a.data![STAGED_FILES.kesVkey]);

    const vkeyText = unb64(a.data![STAGED_FILES.kesVkey]!);
    const vkey = keyFromEnvelope(parseEnvelope(vkeyText, "kes.vkey"), "kes.vkey", KEY_KINDS.kesVerification);
    const expected = KesSigningKey.generate(Uint8Array.from(seed));
    assert.ok(equalBytes(vkey, expected.verificationKey), "kes.vkey is the verification key of the seed's key");
    const skey = keyFromEnvelope(
      parseEnvelope(unb64(a.data![STAGED_FILES.kes]!), "kes.skey"),
      "kes.skey",
      KEY_KINDS.kesSigning,
    );
    assert.ok(equalBytes(skey, expected.toBytes()), "kes.skey is the seed's key");
    expected.wipe();
  });

  test("the staged and signed Secrets carry the names and labels the operator looks for", () => {
    const staged = buildStagedKesSecret(owner, "pool1", 4, new Uint8Array(32).fill(1));
    assert.equal(staged.metadata!.name, "pool1-kes-staged-4");
    assert.equal(staged.metadata!.namespace, "pools");
    assert.equal(staged.immutable, true);
    assert.equal(staged.metadata!.labels!["poolfleet.io/kes-rotation"], "pool1-kes");
    assert.equal(staged.metadata!.labels!["poolfleet.io/pool"], "pool1");
    assert.deepEqual(staged.metadata!.ownerReferences, [
      { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true },
    ]);
    const signed = buildSignedSecret(owner, "pool1", "cert text");
    assert.equal(signed.metadata!.name, "pool1-kes-signed");
    assert.equal(unb64(signed.data![SIGNED_FILE]!), "cert text");
  });
});
