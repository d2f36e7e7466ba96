// The operator's key gate over a user's key Secret: real keys (a real cardano-cli set, and fresh ones made with the
// project's own crypto), the seeds/003 incident, every refusal naming its check, keysHash over public parts only,
// and no secret byte in any result, in hex, base64 or raw. Then the key revision Secret on the real API server:
// accepted, and immutable for real.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b224 } from "../../src/crypto/hash.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, type KeyKind, keyFromEnvelope, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate, type OperationalCertificate } from "../../src/formats/opcert.ts";
import { parseEnvelope } from "../../src/formats/envelope.ts";
import { gateKeys, type GateInput, KEY_FILES, poolIdBech32, poolIdHex } from "../../src/keys/secret-gate.ts";
import { buildKeyRevisionSecret, keyRevisionName } from "../../src/operator/keys/revision.ts";
import type { Owner } from "../../src/operator/names.ts";
import { networkClock } from "../../src/operator/networks.ts";
import { fixturePath } from "../helpers/fixtures.ts";
import { type ControlPlane, installCrds, startControlPlane } from "../helpers/envtest.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const keyText = (kind: KeyKind, bytes: Uint8Array) =>
  renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
const certText = (cert: OperationalCertificate) =>
  renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) });

const cliSet = (name: string) => readFileSync(fixturePath("keys/cardano-cli-set", name), "utf8");
const preprod = networkClock({ name: "preprod" });

function cliSecret(): Record<string, string> {
  return {
    "kes.skey": b64(cliSet("kes.skey")),
    "vrf.skey": b64(cliSet("vrf.skey")),
    "node.cert": b64(cliSet("node.cert")),
    "kes.vkey": b64(cliSet("kes.vkey")),
  };
}

/** A fresh pool with a fresh key set, and the Secret data a user would create from it. */
function freshPool() {
  const pool = newPool();
  const kes = newKes();
  const vrf = newVrf();
  const cert = issue(pool, kes.vkey, 3, 10);
  const data = {
    "kes.skey": b64(keyText(KEY_KINDS.kesSigning, kes.bytes)),
    "vrf.skey": b64(keyText(KEY_KINDS.vrfSigning, vrf)),
    "node.cert": b64(certText(cert)),
  };
  return { pool, kes, vrf, cert, data, coldText: keyText(KEY_KINDS.coldVerification, pool.coldVkey) };
}

const gate = (over: Partial<GateInput>) =>
  gateKeys({ secretName: "pool-a-keys", data: undefined, at: new Date(), ...over });

describe("key gate", () => {
  test("a real cardano-cli key set passes at a time inside its KES window, with the public facts", () => {
    const cold = { text: cliSet("cold.vkey"), name: "ConfigMap pool-a-cold, key cold.vkey" };
    // node.cert starts at KES period 7; preprod periods are 129600 one-second slots after a 20-day Byron prefix.
    const r = gate({
      data: cliSecret(),
      coldVerificationKey: cold,
      clock: preprod,
      at: new Date("2022-08-01T00:00:00Z"),
    });
    assert.equal(r.passed, true, r.failure?.message);
    assert.equal(r.failure, undefined);
    const coldVkey = keyFromEnvelope(parseEnvelope(cold.text, "cold"), "cold", KEY_KINDS.coldVerification);
    assert.equal(poolIdHex(r.poolId!), bytesToHex(blake2b224(coldVkey)));
    assert.match(r.poolId!, /^pool1[02-9ac-hj-np-z]{51}$/);
    assert.deepEqual(r.opcert, { counter: 0, kesPeriod: 7 });
    assert.equal(r.kes?.start, 7);
    assert.equal(r.kes?.end, 69);
    assert.match(r.keysHash!, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      r.checks.map((c) => `${c.check}:${c.status}`),
      ["kes-key:pass", "opcert-signature:pass", "vrf-key:pass", "counter:skip", "kes-window:pass", "kes-key:pass"],
    );
  });

  test("the same real set today: KES window expired, named, with what to do", () => {
    const r = gate({ data: cliSecret(), clock: preprod, at: new Date("2026-01-01T00:00:00Z") });
    assert.equal(r.passed, false);
    assert.equal(r.failure?.check, "kes-window");
    assert.equal(r.failure?.reason, "KesWindowInvalid");
    assert.match(r.failure!.message, /expired .* issue a new certificate with --kes-period \d+/i);
    assert.ok(r.kes!.periodsLeft === 0 && r.kes!.current > 69);
  });

  test("seeds/003: a new certificate deployed beside the old KES key is refused as a KES mismatch", () => {
    const p = freshPool();
    const newKesKey = newKes();
    const data = { ...p.data, "node.cert": b64(certText(issue(p.pool, newKesKey.vkey, 4, 12))) };
    const r = gate({ data });
    assert.equal(r.passed, false);
    assert.equal(r.failure?.check, "kes-key");
    assert.equal(r.failure?.reason, "KesKeyMismatch");
    assert.match(r.failure!.message, /Secret pool-a-keys, key kes\.skey .* is NOT the hot key certified/);
    assert.match(r.failure!.message, /issue-op-cert/);
  });

  test("a certificate from another pool's cold key is refused", () => {
    const p = freshPool();
    const other = newPool();
    const r = gate({
      data: p.data,
      coldVerificationKey: { text: keyText(KEY_KINDS.coldVerification, other.coldVkey), name: "cold.vkey" },
    });
    assert.equal(r.failure?.check, "opcert-signature");
    assert.match(r.failure!.message, /belongs to another pool/);
  });

  test("a stale kes.vkey beside the right kes.skey is refused", () => {
    const p = freshPool();
    const r = gate({ data: { ...p.data, "kes.vkey": b64(keyText(KEY_KINDS.kesVerification, newKes().vkey)) } });
    assert.equal(r.passed, false);
    assert.equal(r.failure?.check, "kes-key");
    assert.match(r.failure!.message, /kes\.vkey/);
  });

  test("spec.poolId must be the certificate's pool, in bech32 or hex", () => {
    const p = freshPool();
    const hexId = bytesToHex(blake2b224(p.pool.coldVkey));
    assert.equal(gate({ data: p.data, expectedPoolId: hexId }).passed, true);
    assert.equal(gate({ data: p.data, expectedPoolId: poolIdBech32(p.pool.coldVkey) }).passed, true);
    const wrong = gate({ data: p.data, expectedPoolId: poolIdBech32(newPool().coldVkey) });
    assert.equal(wrong.failure?.check, "pool-id");
    assert.equal(wrong.failure?.reason, "PoolIdMismatch");
  });

  test("missing Secret, missing files and wrong file types: refused, saying which and how to fix", () => {
    assert.equal(gate({ data: undefined }).failure?.reason, "KeySecretNotFound");
    const p = freshPool();
    const noVrf = gate({ data: { "kes.skey": p.data["kes.skey"], "node.cert": p.data["node.cert"] } });
    assert.equal(noVrf.failure?.reason, "KeyFileInvalid");
    assert.match(noVrf.failure!.message, /Secret pool-a-keys has no vrf\.skey/);
    assert.match(noVrf.failure!.message, /kubectl create secret generic pool-a-keys/);
    const swapped = gate({ data: { ...p.data, "kes.skey": p.data["vrf.skey"] } });
    assert.match(swapped.failure!.message, /key kes\.skey: is a VRF signing key .* expected a KES signing key/);
    const notJson = gate({ data: { ...p.data, "node.cert": b64("hello") } });
    assert.match(notJson.failure!.message, /key node\.cert: is not a text envelope/);
  });

  test("keysHash covers public parts only: stable across file formatting, new on a new KES key", () => {
    const p = freshPool();
    const a = gate({ data: p.data }).keysHash!;
    const reformatted = {
      ...p.data,
      "node.cert": b64(JSON.stringify(JSON.parse(certText(p.cert)))), // same certificate, other whitespace
    };
    assert.equal(gate({ data: reformatted }).keysHash, a);
    const k2 = newKes();
    const rotated = {
      ...p.data,
      "kes.skey": b64(keyText(KEY_KINDS.kesSigning, k2.bytes)),
      "node.cert": b64(certText(issue(p.pool, k2.vkey, 4, 11))),
    };
    const b = gate({ data: rotated });
    assert.equal(b.passed, true);
    assert.notEqual(b.keysHash, a);
  });

  test("no secret byte reaches a result, error or message: hex, base64 or raw, good input or bad", () => {
    const p = freshPool();
    const secrets = [p.kes.bytes, p.vrf.subarray(0, 32)];
    const kesHex = bytesToHex(p.kes.bytes);
    const bad: Record<string, string>[] = [
      p.data,
      // corrupt CBOR inside a secret file (a truncated byte string, then trailing junk)
      {
        ...p.data,
        "kes.skey": b64(JSON.stringify({ type: KEY_KINDS.kesSigning.type, cborHex: `590260${kesHex.slice(0, 900)}` })),
      },
      { ...p.data, "kes.skey": b64(JSON.stringify({ type: KEY_KINDS.kesSigning.type, cborHex: `${kesHex}ff` })) },
      // the secret pasted where the type belongs
      { ...p.data, "vrf.skey": b64(JSON.stringify({ type: bytesToHex(p.vrf), cborHex: "00" })) },
      // the raw secret as the whole file
      { ...p.data, "kes.skey": Buffer.from(p.kes.bytes).toString("base64") },
      // a VRF key whose public half is not derived from its secret half
      {
        ...p.data,
        "vrf.skey": b64(
          keyText(KEY_KINDS.vrfSigning, Uint8Array.from([...p.vrf.subarray(0, 32), ...newVrf().subarray(32)])),
        ),
      },
    ];
    for (const [i, data] of bad.entries()) {
      const out = JSON.stringify(gate({ data, clock: preprod, at: new Date() }));
      for (const secret of secrets) {
        for (let off = 0; off + 12 <= secret.length; off += 3) {
          const win = Buffer.from(secret.subarray(off, off + 12));
          assert.ok(!out.includes(win.toString("hex")), `case ${i}: hex of secret bytes at ${off}`);
          assert.ok(!out.toLowerCase().includes(win.toString("hex")), `case ${i}: hex (any case)`);
          assert.ok(!out.includes(win.toString("base64")), `case ${i}: base64 of secret bytes at ${off}`);
          assert.ok(!out.includes(win.toString("latin1")), `case ${i}: raw secret bytes at ${off}`);
        }
      }
      if (i > 0) assert.equal(JSON.parse(out).passed, false, `case ${i} must be refused`);
    }
  });
});

const owner: Owner = {
  apiVersion: "poolfleet.io/v1alpha1",
  kind: "StakePool",
  name: "pool-a",
  namespace: "default",
  uid: "6c1b7f0e-3c57-4d0b-9b7a-1f6c9f0e2a11",
};

describe("key revision Secret", () => {
  const p = freshPool();
  const result = gate({ data: { ...p.data, "kes.vkey": b64(keyText(KEY_KINDS.kesVerification, p.kes.vkey)) } });
  const secret = buildKeyRevisionSecret({ owner, keysHash: result.keysHash!, data: { ...p.data, extra: "eA==" } });

  test("named after keysHash, immutable, owned by the StakePool, holding exactly the three files", () => {
    assert.equal(secret.metadata?.name, `pool-a-keys-${result.keysHash!.slice(0, 8)}`);
    assert.equal(secret.metadata?.name, keyRevisionName("pool-a", result.keysHash!));
    assert.equal(secret.immutable, true);
    assert.equal(secret.metadata?.ownerReferences?.[0]?.uid, owner.uid);
    assert.equal(secret.metadata?.ownerReferences?.[0]?.kind, "StakePool");
    assert.equal(secret.metadata?.annotations?.["poolfleet.io/keys-hash"], result.keysHash);
    assert.equal(secret.metadata?.labels?.["poolfleet.io/pool"], "pool-a");
    assert.deepEqual(Object.keys(secret.data!).sort(), Object.values(KEY_FILES).sort());
    assert.equal(secret.data!["kes.skey"], p.data["kes.skey"]);
  });

  test("refuses to build without a file or with a malformed hash", () => {
    assert.throws(() => buildKeyRevisionSecret({ owner, keysHash: "abc", data: p.data }), /64 lower-case hex/);
    assert.throws(
      () => buildKeyRevisionSecret({ owner, keysHash: result.keysHash!, data: { "kes.skey": "eA==" } }),
      /no vrf\.skey/,
    );
  });

  describe("on the real API server", () => {
    let cp: ControlPlane;
    before(
      async () => {
        cp = await startControlPlane();
      },
      { timeout: 55 * 60_000 },
    );
    after(async () => {
      await cp?.stop();
    });

    test("the CRD takes the pool id the gate reports, as spec.poolId", async () => {
      await installCrds(cp.kc, [
        readFileSync(new URL("../../crds/stakepools.poolfleet.io.yaml", import.meta.url), "utf8"),
      ]);
      const body = {
        apiVersion: "poolfleet.io/v1alpha1",
        kind: "StakePool",
        metadata: { name: "pool-a", namespace: "default" },
        spec: { network: { name: "preprod" }, poolId: result.poolId, keys: { secretRef: { name: "pool-a-keys" } } },
      };
      const created = (await cp.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group: "poolfleet.io",
        version: "v1alpha1",
        namespace: "default",
        plural: "stakepools",
        body,
        dryRun: "All",
      })) as { spec: { poolId: string } };
      assert.equal(created.spec.poolId, result.poolId);
    });

    test("accepted as built (dry run), then created and immutable for real", async () => {
      const core = cp.kc.makeApiClient(CoreV1Api);
      const dry = await core.createNamespacedSecret({ namespace: "default", body: secret, dryRun: "All" });
      assert.equal(dry.immutable, true);
      assert.equal(dry.metadata?.ownerReferences?.[0]?.uid, owner.uid);
      await core.createNamespacedSecret({ namespace: "default", body: secret });
      const changed = { ...secret, data: { ...secret.data, "node.cert": b64("changed") } };
      await assert.rejects(
        core.replaceNamespacedSecret({ name: secret.metadata!.name!, namespace: "default", body: changed }),
        (error: Error) => /immutable/i.test(String((error as { body?: unknown }).body ?? error.message)),
      );
    });
  });
});
