// A complete key set written by the real cardano-cli: every file loads, poolfleet writes the same bytes,
// and issue-op-cert reproduces node.cert and the advanced counter byte for byte.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KesSigningKey } from "../../src/crypto/kes.ts";
import { vrfSecretKeyFromBytes } from "../../src/crypto/vrf.ts";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { readEnvelopeFile, renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import {
  encodeOperationalCertificate,
  readIssueCounter,
  readOperationalCertificate,
  verifyOperationalCertificate,
} from "../../src/formats/opcert.ts";
import { fixtureFiles, fixturePath, hex } from "../helpers/fixtures.ts";
import { runCli } from "../helpers/cli.ts";

const SET = "keys/cardano-cli-set";
const p = (name: string) => fixturePath(SET, name);

describe("cardano-cli key set", () => {
  it("every file re-renders to the identical bytes", () => {
    for (const name of fixtureFiles(SET, /./)) {
      const original = readFileSync(p(name), "utf8");
      assert.equal(renderEnvelope(readEnvelopeFile(p(name))), original, name);
    }
  });

  it("every key loads with its type and length, and the set is internally consistent", () => {
    const coldSeed = readKeyFile(p("cold.skey"), KEY_KINDS.coldSigning);
    const coldVkey = readKeyFile(p("cold.vkey"), KEY_KINDS.coldVerification);
    assert.equal(hex(ed25519PublicKey(coldSeed)), hex(coldVkey));
    const kes = KesSigningKey.fromBytes(readKeyFile(p("kes.skey"), KEY_KINDS.kesSigning));
    const kesVkey = readKeyFile(p("kes.vkey"), KEY_KINDS.kesVerification);
    assert.equal(hex(kes.verificationKey), hex(kesVkey));
    const vrf = vrfSecretKeyFromBytes(readKeyFile(p("vrf.skey"), KEY_KINDS.vrfSigning));
    assert.equal(hex(vrf.publicKey), hex(readKeyFile(p("vrf.vkey"), KEY_KINDS.vrfVerification)));
    const cert = readOperationalCertificate(p("node.cert"));
    assert.equal(cert.sequenceNumber, 0);
    assert.equal(cert.kesPeriod, 7);
    assert.equal(hex(cert.hotVkey), hex(kesVkey));
    assert.equal(hex(cert.coldVkey), hex(coldVkey));
    assert.ok(verifyOperationalCertificate(cert));
    const counter = readIssueCounter(p("cold.counter"));
    assert.equal(counter.nextIssueNumber, 1);
    assert.equal(hex(counter.coldVkey), hex(coldVkey));
    const envelope = readEnvelopeFile(p("node.cert"));
    assert.equal(hex(encodeOperationalCertificate(cert)), hex(envelope.cbor));
  });

  it("new-counter then issue-op-cert at the same counter and period writes node.cert and cold.counter byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-cli-set-"));
    for (const name of ["cold.skey", "cold.vkey", "kes.vkey"]) copyFileSync(p(name), join(dir, name));
    const d = (name: string) => join(dir, name);
    const reset = await runCli([
      "node",
      "new-counter",
      "--cold-verification-key-file",
      d("cold.vkey"),
      "--counter-value",
      "0",
      "--operational-certificate-issue-counter-file",
      d("cold.counter"),
    ]);
    assert.equal(reset.code, 0, reset.stderr);
    const issued = await runCli([
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      d("kes.vkey"),
      "--cold-signing-key-file",
      d("cold.skey"),
      "--operational-certificate-issue-counter-file",
      d("cold.counter"),
      "--kes-period",
      "7",
      "--out-file",
      d("node.cert"),
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(readFileSync(d("node.cert"), "utf8"), readFileSync(p("node.cert"), "utf8"));
    assert.equal(readFileSync(d("cold.counter"), "utf8"), readFileSync(p("cold.counter"), "utf8"));
  });
});
