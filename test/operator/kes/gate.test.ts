// The rotation gate on real key material: the pool is test/fixtures/keys/cardano-cli-set (real cardano-cli
// output: cold key, counter, KES key and an opcert with issue number 0 at KES period 7); every new KES key and
// certificate is made by poolfleet-cli's own cardano-cli-compatible commands, run in-process. Covers seeds/003
// both ways, the counter one too low and one too high, the period window, and another pool's or a tampered
// signature.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { testClock } from "./test-genesis.ts";
import { main } from "../../../src/cli/main.ts";
import { bytesToHex } from "../../../src/crypto/bytes.ts";
import { keyHash } from "../../../src/keys/consistency.ts";
import { KEY_KINDS, readKeyFile } from "../../../src/formats/keys.ts";
import { type OperationalCertificate, readOperationalCertificate } from "../../../src/formats/opcert.ts";
import {
  checkRotation,
  ROTATION_CHECKS,
  lastCounter,
  type RotationCandidate,
} from "../../../src/keys/rotation-gate.ts";
import { fixturePath } from "../../helpers/fixtures.ts";

const SET = (name: string) => fixturePath("keys", "cardano-cli-set", name);
const dir = mkdtempSync(join(tmpdir(), "pf-kes-gate-"));
const at = (name: string) => join(dir, name);

// Mainnet-like periods (129600 one-second slots) on a network that started 2026-01-01; "now" is period 20.
const clock = testClock();
const NOW_PERIOD = 20;
const now = new Date(clock.timeOfKesPeriod(NOW_PERIOD) + 3_600_000);

async function cli(...argv: string[]): Promise<string> {
  const out: string[] = [];
  const code = await main(argv, {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    stderrIsTTY: false,
    progress: () => {},
  });
  assert.equal(code, 0, `poolfleet-cli ${argv.join(" ")}: ${out.join("\n")}`);
  return out.join("\n");
}

/** A new KES key pair by `node key-gen-KES`. */
async function newKes(name: string) {
  await cli(
    "node",
    "key-gen-KES",
    "--verification-key-file",
    at(`${name}.vkey`),
    "--signing-key-file",
    at(`${name}.skey`),
  );
  return {
    skey: readKeyFile(at(`${name}.skey`), KEY_KINDS.kesSigning),
    vkey: readKeyFile(at(`${name}.vkey`), KEY_KINDS.kesVerification),
    vkeyPath: at(`${name}.vkey`),
  };
}

/** An opcert by `node new-counter` + `node issue-op-cert`, signed with the fixture pool's cold key. */
async function issue(kesVkeyPath: string, counter: number, period: number, out: string, cold = SET("cold.skey")) {
  const counterFile = at(`${out}.counter`);
  const coldVkey = cold === SET("cold.skey") ? SET("cold.vkey") : cold.replace(/\.skey$/, ".vkey");
  await cli(
    "node",
    "new-counter",
    "--cold-verification-key-file",
    coldVkey,
    "--counter-value",
    String(counter),
    "--operational-certificate-issue-counter-file",
    counterFile,
  );
  await cli(
    "node",
    "issue-op-cert",
    "--kes-verification-key-file",
    kesVkeyPath,
    "--cold-signing-key-file",
    cold,
    "--operational-certificate-issue-counter-file",
    counterFile,
    "--kes-period",
    String(period),
    "--out-file",
    at(out),
  );
  return readOperationalCertificate(at(out));
}

const coldVkey = readKeyFile(SET("cold.vkey"), KEY_KINDS.coldVerification);
const oldCert = readOperationalCertificate(SET("node.cert"));
const oldKes = readKeyFile(SET("kes.skey"), KEY_KINDS.kesSigning);
let fresh: Awaited<ReturnType<typeof newKes>>;
let good: OperationalCertificate;

const candidate = (over: Partial<RotationCandidate> = {}): RotationCandidate => ({
  opcert: { cert: good, name: "node-new.cert" },
  stagedKes: { signingKey: fresh.skey, name: "kes-new.skey" },
  coldVerificationKey: { bytes: coldVkey, name: "cold.vkey" },
  last: lastCounter({ previousOpcert: oldCert.sequenceNumber })!,
  clock,
  now,
  ...over,
});
const check = (v: ReturnType<typeof checkRotation>, name: string) => v.checks.find((c) => c.check === name)!;
const failedChecks = (v: ReturnType<typeof checkRotation>) =>
  v.checks.filter((c) => c.status === "fail").map((c) => c.check);

before(async () => {
  assert.equal(oldCert.sequenceNumber, 0, "the fixture's certificate carries issue number 0");
  assert.equal(oldCert.kesPeriod, 7);
  fresh = await newKes("kes-new");
  good = await issue(fresh.vkeyPath, 1, NOW_PERIOD, "node-new.cert");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the rotation gate", () => {
  it("accepts the new KES key with its certificate: next counter, current period, the pool's cold key", () => {
    const v = checkRotation(candidate());
    assert.equal(v.accepted, true, v.refusal);
    assert.equal(v.refusal, undefined);
    assert.deepEqual(
      v.checks.map((c) => [c.check, c.status]),
      ROTATION_CHECKS.map((c) => [c, "pass"]),
    );
    assert.match(check(v, "counter").message, /issue number 1, the next after 0 \(last used, in the previous/);
    // The operator has the staged verification key only; the verdict is the same.
    const byVkey = checkRotation(candidate({ stagedKes: { verificationKey: fresh.vkey, name: "kes-new.vkey" } }));
    assert.equal(byVkey.accepted, true, byVkey.refusal);
  });

  it("seeds/003, the incident: the new certificate deployed with the OLD KES key is refused by the kes-key check", () => {
    const v = checkRotation(candidate({ stagedKes: { signingKey: oldKes, name: "kes.skey" } }));
    assert.equal(v.accepted, false);
    assert.deepEqual(failedChecks(v), ["kes-key"]);
    const msg = check(v, "kes-key").message;
    assert.ok(msg.includes(keyHash(oldCert.hotVkey)), "names the deployed (old) KES key by hash");
    assert.ok(msg.includes(keyHash(fresh.vkey)), "names the certified (new) KES key by hash");
    assert.match(msg, /Deploy the KES key the certificate was issued for/);
    assert.match(v.refusal!, /^node-new\.cert refused, nothing was changed: \[kes-key\]/);
  });

  it("seeds/003 the other way: the new KES key with the OLD certificate fails the pairing and the counter", () => {
    const v = checkRotation(candidate({ opcert: { cert: oldCert, name: "node.cert" } }));
    assert.equal(v.accepted, false);
    assert.deepEqual(failedChecks(v), ["kes-key", "counter"]);
    assert.match(check(v, "counter").message, /issue number 0, but 0 was already used .*must carry 1/);
    assert.match(check(v, "counter").message, /Reusing a number leaves the previous KES key able to sign/);
  });

  it("refuses a counter one too high, and says to set the counter file back", async () => {
    const high = await issue(fresh.vkeyPath, 2, NOW_PERIOD, "node-high.cert");
    const v = checkRotation(candidate({ opcert: { cert: high, name: "node-high.cert" } }));
    assert.deepEqual(failedChecks(v), ["counter"]);
    const msg = check(v, "counter").message;
    assert.match(msg, /issue number 2, but the last used is 0 .* the next must be 1/);
    assert.match(msg, /node new-counter --counter-value 1/);
  });

  it("refuses a counter one too low (the last used, again) and two too low", async () => {
    const low = await issue(fresh.vkeyPath, 4, NOW_PERIOD, "node-low.cert");
    const v = checkRotation(
      candidate({ opcert: { cert: low, name: "node-low.cert" }, last: { value: 4, source: "on chain" } }),
    );
    assert.deepEqual(failedChecks(v), ["counter"], "4 after 4 on chain: reused");
    const lower = checkRotation(
      candidate({ opcert: { cert: low, name: "node-low.cert" }, last: { value: 5, source: "on chain" } }),
    );
    assert.deepEqual(failedChecks(lower), ["counter"]);
    assert.match(
      check(lower, "counter").message,
      /issue number 4, but 5 was already used \(on chain\); .*must carry 6/,
    );
    assert.match(check(lower, "counter").message, /An older number is refused by the chain/);
    const right = checkRotation(
      candidate({ opcert: { cert: low, name: "node-low.cert" }, last: { value: 3, source: "on chain" } }),
    );
    assert.equal(right.accepted, true, right.refusal);
  });

  it("takes the counter seen on chain over the previous certificate's", () => {
    // A certificate with number 3 was issued but never forged with; the chain last saw 2, so 3 is next again.
    assert.deepEqual(lastCounter({ onChain: 2, previousOpcert: 3 }), { value: 2, source: "on chain" });
    assert.deepEqual(lastCounter({ previousOpcert: 3 }), { value: 3, source: "in the previous certificate" });
    assert.equal(lastCounter({}), undefined);
  });

  it("refuses a certificate starting in a later KES period (an offline machine's wrong clock)", async () => {
    const future = await issue(fresh.vkeyPath, 1, NOW_PERIOD + 1, "node-future.cert");
    const v = checkRotation(candidate({ opcert: { cert: future, name: "node-future.cert" } }));
    assert.deepEqual(failedChecks(v), ["kes-window"]);
    assert.match(check(v, "kes-window").message, /not valid yet .* Issue it with --kes-period 20/);
  });

  it("refuses a certificate whose window has ended, and passes one whose window still covers now", async () => {
    const laterNow = new Date(clock.timeOfKesPeriod(NOW_PERIOD + 62));
    const v = checkRotation(candidate({ now: laterNow }));
    assert.deepEqual(failedChecks(v), ["kes-window"]);
    assert.match(check(v, "kes-window").message, /expired .* Generate a new KES key/);
    const older = await issue(fresh.vkeyPath, 1, 0, "node-older.cert");
    assert.equal(checkRotation(candidate({ opcert: { cert: older, name: "node-older.cert" } })).accepted, true);
  });

  it("refuses a certificate signed by another pool's cold key, and one whose signature was altered", async () => {
    await cli(
      "node",
      "key-gen",
      "--cold-verification-key-file",
      at("other.vkey"),
      "--cold-signing-key-file",
      at("other.skey"),
      "--operational-certificate-issue-counter-file",
      at("other.counter"),
    );
    const foreign = await issue(fresh.vkeyPath, 1, NOW_PERIOD, "node-foreign.cert", at("other.skey"));
    const v = checkRotation(candidate({ opcert: { cert: foreign, name: "node-foreign.cert" } }));
    assert.deepEqual(failedChecks(v), ["opcert-signature"]);
    assert.match(check(v, "opcert-signature").message, /belongs to another pool/);
    const sigma = Uint8Array.from(good.sigma);
    sigma[0]! ^= 1;
    const altered = checkRotation(candidate({ opcert: { cert: { ...good, sigma }, name: "node-new.cert" } }));
    assert.deepEqual(failedChecks(altered), ["opcert-signature"]);
    assert.match(check(altered, "opcert-signature").message, /signature does not verify/);
  });

  it("never puts secret key bytes in a message", () => {
    const verdicts = [
      checkRotation(candidate()),
      checkRotation(candidate({ stagedKes: { signingKey: oldKes, name: "kes.skey" } })),
      checkRotation(candidate({ opcert: { cert: oldCert, name: "node.cert" } })),
    ];
    const text = JSON.stringify(verdicts);
    const secrets = [fresh.skey, oldKes, readKeyFile(SET("cold.skey"), KEY_KINDS.coldSigning)];
    for (const s of secrets) {
      // Any 16 consecutive bytes of a secret, in hex, would be a leak.
      for (let i = 0; i + 16 <= s.length; i += 16) assert.ok(!text.includes(bytesToHex(s.subarray(i, i + 16))));
    }
  });
});
