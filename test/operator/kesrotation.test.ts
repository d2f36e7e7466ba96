// The KesRotation controller on a real kube-apiserver, beside the real StakePool controller, with a clock the test
// moves (the manager's injected now()): days before expiry nothing happens; each reminder threshold gives exactly
// one Warning Event, one call to a real loopback webhook and moving gauges; at renewal time the Assisted request
// appears with the right period and counter; seeds/003's certificates and counters one off are refused and the
// producer keeps its keys; a new manager instance mid-rotation resumes without a second key or counter; a correct
// certificate moves the pool onto a new revision and keeps the old one; Auto mode rotates on its own; and no
// secret byte reaches a log line, Event, status or metric.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
import type { KesRotationStatus } from "../../src/api/kesrotation.ts";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { encodeCbor } from "../../src/formats/cbor.ts";
import { parseEnvelope, renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate, type OperationalCertificate } from "../../src/formats/opcert.ts";
import { kesRotationController } from "../../src/operator/controllers/kesrotation.ts";
import { gateKeys } from "../../src/operator/keys/gate.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { DAY_MS } from "../../src/operator/kes/schedule.ts";
import { type KubeApi, KubeClient } from "../../src/operator/manager/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { ManagerMetrics } from "../../src/operator/manager/metrics.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { networkClock } from "../../src/operator/networks.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { startNode } from "../helpers/node-process.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let raw: KubeClient;
const logLines: string[] = [];
const secretSpellings = new Set<string>();

// ---- the clock the test moves --------------------------------------------------------------------------------------

let nowMs = Date.now();
const preprod = networkClock({ name: "preprod" });
const periodAt = (ms: number) => preprod.kesPeriodOfSlot(preprod.slotAt(ms));

// ---- key material ------------------------------------------------------------------------------------------------

const keyText = (kind: (typeof KEY_KINDS)[keyof typeof KEY_KINDS], bytes: Uint8Array) =>
  renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
const certText = (cert: OperationalCertificate) =>
  renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) });

function registerSecretText(text: string): void {
  const cborHex = JSON.parse(text).cborHex as string;
  const bytes = Buffer.from(cborHex, "hex").subarray(cborHex.length > 200 ? 3 : 2); // CBOR byte-string header
  for (const s of [cborHex, b64(text), b64(bytes), bytes.toString("hex")]) secretSpellings.add(s);
}

function poolKeys(period: number) {
  const pool = newPool();
  const kes = newKes();
  const vrf = newVrf();
  const kesText = keyText(KEY_KINDS.kesSigning, kes.bytes);
  const vrfText = keyText(KEY_KINDS.vrfSigning, vrf);
  registerSecretText(kesText);
  registerSecretText(vrfText);
  const cert = issue(pool, kes.vkey, 0, period);
  const data = { "kes.skey": b64(kesText), "vrf.skey": b64(vrfText), "node.cert": b64(certText(cert)) };
  return { pool, kes, cert, data, coldText: keyText(KEY_KINDS.coldVerification, pool.coldVkey) };
}

// ---- API helpers -------------------------------------------------------------------------------------------------

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setSecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  const body = { metadata: { name, namespace: ns }, data };
  try {
    await core.replaceNamespacedSecret({ namespace: ns, name, body });
  } catch {
    await core.createNamespacedSecret({ namespace: ns, body });
  }
}
const readSecret = (ns: string, name: string) =>
  core.readNamespacedSecret({ namespace: ns, name }).catch(() => undefined);

async function createObject(ns: string, plural: string, kind: string, name: string, spec: Record<string, unknown>) {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace: ns }, spec },
  });
}
type Obj<S> = KubernetesObject & { status?: S };
const getObject = <S>(ns: string, plural: string, name: string) =>
  custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural, name }) as Promise<Obj<S>>;
const getRotation = (ns: string, name: string) => getObject<KesRotationStatus>(ns, "kesrotations", name);
const getPool = (ns: string, name: string) => getObject<StakePoolStatus>(ns, "stakepools", name);
const cond = (
  o: Obj<{ conditions?: { type: string; status: string; reason: string; message: string }[] }>,
  t: string,
) => o.status?.conditions?.find((c) => c.type === t);

async function events(ns: string, reason?: string) {
  const list = await raw.request<{ items: { reason: string; note?: string; type: string }[] }>(
    "GET",
    `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  );
  return list.items.filter((e) => reason === undefined || e.reason === reason);
}

// ---- the operator and a webhook receiver -------------------------------------------------------------------------

let manager: Manager;
let metrics: ManagerMetrics;
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(...chunk.toString().split("\n").filter(Boolean));
    done();
  },
});

async function startManager(api?: KubeApi): Promise<void> {
  const redactor = new SecretRedactor();
  metrics = new ManagerMetrics();
  manager = new Manager({
    kc: cp.kc,
    controllers: [
      stakePoolController({ pollMs: 200, scrape: false }),
      kesRotationController({ pollMs: 200, registry: metrics.registry, webhookTimeoutMs: 2000 }),
    ],
    log: operatorLogger("debug", redactor, logSink),
    redactor,
    metrics,
    now: () => new Date(nowMs),
    ...(api ? { api } : {}),
    queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
  });
  await manager.start();
}

let webhook: Server;
const webhookCalls: { thresholdDays: number; counter: number; pool: string }[] = [];

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    apps = cp.kc.makeApiClient(AppsV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    raw = new KubeClient(cp.kc);
    await installProjectCrds(cp.kc);
    webhook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        webhookCalls.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", r));
  },
  { timeout: 10 * 60_000 },
);

after(async () => {
  await manager?.stop();
  webhook?.close();
  raw?.close();
  await cp?.stop();
});

async function gauge(name: string, rotation: string): Promise<number | undefined> {
  const m = metrics.registry.getSingleMetric(name);
  const values = (await m?.get())?.values ?? [];
  return values.find((v) => v.labels.name === rotation && v.labels.condition === undefined)?.value;
}

describe("KesRotation controller, Assisted", () => {
  const ns = "kes-a";
  const keys = poolKeys(periodAt(nowMs));
  let expiresMs = 0;
  let firstHash = "";
  let request: { kesPeriod: number; counter: number; kesVkey: Uint8Array } | undefined;

  test("days before expiry: figures in status and gauges, no reminder, no webhook call", async () => {
    await startManager();
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "a-cold" }, data: { "cold.vkey": keys.coldText } },
    });
    await setSecret(ns, "a-keys", keys.data);
    const port = (webhook.address() as AddressInfo).port;
    await setSecret(ns, "a-hook", { url: b64(`http://127.0.0.1:${port}/hook?token=s3cr3t-t0ken`) });
    await createObject(ns, "stakepools", "StakePool", "a", {
      network: { name: "preprod" },
      keys: { secretRef: { name: "a-keys" }, coldVerificationKeyRef: { name: "a-cold" } },
      relays: { replicas: 1 },
    });
    await createObject(ns, "kesrotations", "KesRotation", "a-kes", {
      poolRef: { name: "a" },
      renewBefore: "2d",
      reminderDays: [14, 7, 3],
      webhook: { urlSecretRef: { name: "a-hook" } },
    });
    const rot = await waitFor("tracked status", async () => {
      const r = await getRotation(ns, "a-kes");
      return r.status?.expiresAt && cond(r, "Ready")?.status === "True" ? r : undefined;
    });
    const st = rot.status!;
    firstHash = (await getPool(ns, "a")).status!.producer!.keysHash!;
    expiresMs = Date.parse(st.expiresAt!);
    assert.equal(st.startPeriod, keys.cert.kesPeriod);
    assert.equal(st.endPeriod, keys.cert.kesPeriod + 62);
    assert.equal(st.currentPeriod, periodAt(nowMs));
    assert.equal(expiresMs, preprod.timeOfKesPeriod(keys.cert.kesPeriod + 62));
    assert.equal(Date.parse(st.renewalTime!), expiresMs - 2 * DAY_MS);
    assert.equal(st.counter, 0);
    assert.equal(st.nextCounter, 1);
    assert.equal(st.phase, "Valid");
    assert.equal(cond(rot, "RotationDue")?.status, "False");
    assert.equal(cond(rot, "Issuing")?.status, "False");
    assert.equal(cond(rot, "KeysValid")?.status, "True");
    assert.equal(await gauge("poolfleet_kes_expiration_timestamp_seconds", "a-kes"), expiresMs / 1000);
    assert.equal(await gauge("poolfleet_kes_renewal_timestamp_seconds", "a-kes"), (expiresMs - 2 * DAY_MS) / 1000);
    assert.equal(await gauge("poolfleet_kes_periods_remaining", "a-kes"), st.endPeriod! - st.currentPeriod!);
    await sleep(1000);
    assert.equal((await events(ns, "KesExpiringSoon")).length, 0);
    assert.equal(webhookCalls.length, 0);
    assert.equal(rot.status?.rotation, undefined);
  });

  test("each reminder threshold: one Warning Event, one webhook call, the gauges move", async () => {
    const thresholds = [14, 7, 3];
    for (const [i, days] of thresholds.entries()) {
      const before = await gauge("poolfleet_kes_periods_remaining", "a-kes");
      nowMs = expiresMs - days * DAY_MS + 60_000;
      const rot = await waitFor(`the ${days}-day reminder`, async () => {
        const r = await getRotation(ns, "a-kes");
        return r.status?.reminder?.days === days && r.status.reminder.webhook === "Delivered" ? r : undefined;
      });
      assert.equal(rot.status!.lastReminderDays, days);
      await sleep(800); // several reconciles at 200 ms: none repeats the reminder
      const evs = await events(ns, "KesExpiringSoon");
      assert.equal(evs.length, i + 1, `one Event per threshold (${days} days)`);
      assert.equal(evs.filter((e) => e.note?.includes(`${days} day`)).length, 1);
      assert.equal(
        evs.every((e) => e.type === "Warning"),
        true,
      );
      assert.equal(webhookCalls.length, i + 1, `one webhook call per threshold (${days} days)`);
      assert.equal(webhookCalls[i]!.thresholdDays, days);
      assert.equal(webhookCalls[i]!.pool, "a");
      const after = await gauge("poolfleet_kes_periods_remaining", "a-kes");
      assert.ok(after! < before!, `periods remaining moves (${before} -> ${after})`);
      assert.equal((await getRotation(ns, "a-kes")).status?.rotation, undefined, "not due before renewBefore");
    }
  });

  test("at renewal time the Assisted request appears with the online period and the next counter", async () => {
    nowMs = expiresMs - 2 * DAY_MS + 60_000;
    const rot = await waitFor("the opcert request", async () => {
      const r = await getRotation(ns, "a-kes");
      return r.status?.rotation?.step === "AwaitingSignature" ? r : undefined;
    });
    const st = rot.status!;
    assert.equal(st.request?.counter, 1);
    assert.equal(st.request?.kesPeriod, periodAt(nowMs));
    assert.equal(st.request?.configMapName, "a-kes-opcert-request");
    assert.equal(st.phase, "AwaitingSignature");
    assert.equal(cond(rot, "RotationDue")?.status, "True");
    assert.equal(cond(rot, "Issuing")?.reason, "AwaitingSignature");
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: "a-kes-opcert-request" });
    assert.equal(cm.data!.counter, "1");
    assert.equal(cm.data!.kesPeriod, String(periodAt(nowMs)));
    assert.match(cm.data!["commands.sh"]!, new RegExp(`--kes-period ${periodAt(nowMs)} `));
    assert.match(cm.data!["commands.sh"]!, /--counter-value 1 /);
    assert.match(cm.data!["commands.sh"]!, /create secret generic a-kes-signed --from-file=node.cert/);
    const kesVkey = keyFromEnvelope(parseEnvelope(cm.data!["kes.vkey"]!, "cm"), "cm", KEY_KINDS.kesVerification);
    request = { kesPeriod: st.request!.kesPeriod!, counter: 1, kesVkey };
    const staged = (await readSecret(ns, "a-kes-staged-1"))!;
    assert.equal(staged.immutable, true);
    registerSecretText(Buffer.from(staged.data!["kes.skey"]!, "base64").toString("utf8"));
    // Nothing mounts the staged key: the producer still runs its first revision.
    const sts = await apps.readNamespacedStatefulSet({ namespace: ns, name: "a-producer" });
    assert.equal(
      sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName,
      `a-keys-${firstHash.slice(0, 8)}`,
    );
  });

  test("seeds/003 and counters one off are refused, and the producer keeps its keys", async () => {
    const r = request!;
    const other = newPool();
    const cases: { what: string; cert: OperationalCertificate; check: RegExp }[] = [
      {
        what: "new certificate, old KES key",
        cert: issue(keys.pool, keys.kes.vkey, 1, r.kesPeriod),
        check: /\[kes-key\]/,
      },
      { what: "new KES key, old certificate", cert: keys.cert, check: /\[kes-key\].*\[counter\]/ },
      {
        what: "counter one too high",
        cert: issue(keys.pool, r.kesVkey, 2, r.kesPeriod),
        check: /\[counter\].*next must be 1/,
      },
      { what: "counter one too low", cert: issue(keys.pool, r.kesVkey, 0, r.kesPeriod), check: /\[counter\]/ },
      { what: "another pool's cold key", cert: issue(other, r.kesVkey, 1, r.kesPeriod), check: /\[opcert-signature\]/ },
      { what: "period in the future", cert: issue(keys.pool, r.kesVkey, 1, r.kesPeriod + 3), check: /\[kes-window\]/ },
    ];
    const userBefore = (await readSecret(ns, "a-keys"))!.data;
    for (const [i, c] of cases.entries()) {
      await setSecret(ns, "a-kes-signed", { "node.cert": b64(certText(c.cert)) });
      const rot = await waitFor(`refusal of ${c.what}`, async () => {
        const x = await getRotation(ns, "a-kes");
        const kv = cond(x, "KeysValid");
        return kv?.status === "False" &&
          (x.status?.rotation?.refusal ?? "") !== "" &&
          (await events(ns, "CertificateRefused")).length === i + 1
          ? x
          : undefined;
      });
      assert.match(cond(rot, "KeysValid")!.message, c.check, c.what);
      assert.equal(cond(rot, "KeysValid")!.reason, "CertificateRefused");
      assert.equal(rot.status!.rotation!.step, "AwaitingSignature", c.what);
      assert.deepEqual((await readSecret(ns, "a-keys"))!.data, userBefore, `${c.what}: the pool's Secret is untouched`);
      assert.equal((await getPool(ns, "a")).status!.producer!.keysHash, firstHash, `${c.what}: same revision`);
    }
  });

  test("a new operator instance mid-rotation resumes: no second key, no second counter", async () => {
    const stagedBefore = (await readSecret(ns, "a-kes-staged-1"))!;
    await manager.stop();
    await startManager();
    await sleep(1500);
    const rot = await getRotation(ns, "a-kes");
    assert.equal(rot.status!.rotation!.step, "AwaitingSignature");
    assert.equal(rot.status!.rotation!.counter, 1);
    assert.equal(rot.status!.request!.counter, 1);
    const staged = (
      await core.listNamespacedSecret({ namespace: ns, labelSelector: "poolfleet.io/kes-rotation=a-kes" })
    ).items;
    assert.deepEqual(
      staged.map((s) => s.metadata!.name).filter((n) => n!.includes("staged")),
      ["a-kes-staged-1"],
    );
    assert.equal(staged.find((s) => s.metadata!.name === "a-kes-staged-1")!.metadata!.uid, stagedBefore.metadata!.uid);
    assert.equal((await events(ns, "KesKeyStaged")).length, 1);
    assert.equal((await events(ns, "KesExpiringSoon")).length, 3, "no reminder repeated after the restart");
    assert.equal(webhookCalls.length, 3);
  });

  test("a correct certificate is accepted and the pool moves to a new revision, keeping the old one", async () => {
    const r = request!;
    await setSecret(ns, "a-kes-signed", { "node.cert": b64(certText(issue(keys.pool, r.kesVkey, 1, r.kesPeriod))) });
    const rot = await waitFor("the rotation to complete", async () => {
      const x = await getRotation(ns, "a-kes");
      return x.status?.lastRotation?.counter === 1 && !x.status.rotation ? x : undefined;
    });
    const pool = await getPool(ns, "a");
    const newHash = pool.status!.producer!.keysHash!;
    assert.notEqual(newHash, firstHash);
    assert.equal(rot.status!.lastRotation!.keysHash, newHash);
    assert.equal(rot.status!.lastRotation!.previousKeysHash, firstHash);
    assert.equal(pool.status!.kes!.counter, 1);
    const sts = await apps.readNamespacedStatefulSet({ namespace: ns, name: "a-producer" });
    assert.equal(
      sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName,
      `a-keys-${newHash.slice(0, 8)}`,
    );
    assert.ok(await readSecret(ns, `a-keys-${firstHash.slice(0, 8)}`), "the previous revision is kept for rollback");
    assert.equal(await readSecret(ns, "a-kes-staged-1"), undefined, "the staged copy of the KES key is gone");
    assert.equal(await readSecret(ns, "a-kes-signed"), undefined);
    const current = await waitFor("the new figures", async () => {
      const x = await getRotation(ns, "a-kes");
      return x.status?.counter === 1 ? x : undefined;
    });
    assert.equal(current.status!.startPeriod, r.kesPeriod);
    assert.equal(cond(current, "Ready")?.status, "True");
    assert.equal(cond(current, "RotationDue")?.status, "False");
    assert.equal(cond(current, "KeysValid")?.status, "True");
    assert.equal(current.status!.phase, "Valid");
    assert.equal((await events(ns, "Rotated")).length, 1);
    assert.equal(await gauge("poolfleet_kes_periods_remaining", "a-kes"), 62);
  });
});

describe("KesRotation controller, Auto", () => {
  test("signs with the acknowledged in-cluster cold key and rotates without a person", async () => {
    const ns = "kes-b";
    await autoPool(ns, "b");
    const rot = await waitFor("the Auto rotation", async () => {
      const x = await getRotation(ns, "b-kes");
      return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 ? x : undefined;
    });
    assert.equal(rot.status!.startPeriod, periodAt(nowMs));
    assert.equal((await events(ns, "OpcertSigned")).length, 1);
    assert.equal((await getPool(ns, "b")).status!.kes!.counter, 1);
  });
});

/** A pool whose certificate has two KES periods left, under an Auto rotation (due at once). */
async function autoPool(
  ns: string,
  p: string,
  extraSpec: Record<string, unknown> = {},
  rotationSpec: Record<string, unknown> = {},
) {
  const keys = poolKeys(periodAt(nowMs) - 60);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: `${p}-cold` }, data: { "cold.vkey": keys.coldText } },
  });
  await setSecret(ns, `${p}-keys`, keys.data);
  const coldText = keyText(KEY_KINDS.coldSigning, keys.pool.coldSeed);
  registerSecretText(coldText);
  await setSecret(ns, `${p}-cold-skey`, { "cold.skey": b64(coldText) });
  await createObject(ns, "stakepools", "StakePool", p, {
    network: { name: "preprod" },
    keys: { secretRef: { name: `${p}-keys` }, coldVerificationKeyRef: { name: `${p}-cold` } },
    relays: { replicas: 1 },
    ...extraSpec,
  });
  await createObject(ns, "kesrotations", "KesRotation", `${p}-kes`, {
    poolRef: { name: p },
    mode: "Auto",
    auto: { coldKeySecretRef: { name: `${p}-cold-skey` }, acknowledgeColdKeyInCluster: true },
    ...rotationSpec,
  });
  return keys;
}

describe("the counter on chain", () => {
  test("when the producer reports the chain's counter, the next certificate carries one above it", async () => {
    const ns = "kes-e";
    await autoPool(ns, "e", {}, { suspend: true });
    await waitFor("the pool's status", async () => ((await getPool(ns, "e")).status?.kes ? true : undefined));
    // What the StakePool controller writes from the producer's poolfleet_chain_opcert_counter; no node runs in this
    // tier, so the test writes it, under its own field manager (the controller does not own the field then).
    await raw.request("PATCH", `/apis/${GROUP}/${VERSION}/namespaces/${ns}/stakepools/e/status`, {
      query: { fieldManager: "test-node-figures", force: true },
      contentType: "application/apply-patch+yaml",
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "StakePool",
        metadata: { name: "e" },
        status: { kes: { counterOnChain: 3 } },
      },
    });
    await custom.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: "kesrotations",
      name: "e-kes",
      body: [{ op: "replace", path: "/spec/suspend", value: false }],
    });
    const rot = await waitFor("the rotation with counter 4", async () => {
      const x = await getRotation(ns, "e-kes");
      return x.status?.lastRotation ? x : undefined;
    });
    assert.equal(rot.status!.lastRotation!.counter, 4, "one above the chain's 3, not above the certificate's 0");
  });
});

describe("crash between the swap and its record", () => {
  test("an operator that dies right after writing the pool's Secret: the next one finishes with one key and one counter", async () => {
    await manager.stop();
    // Fault injection (the real API server cannot fail one chosen write on demand): once the pool's key Secret
    // has been written, every later KesRotation status write fails, as if the process died between the two.
    const real = new KubeClient(cp.kc);
    let secretWritten = 0;
    const faulty: KubeApi = {
      async request(method, path, opts) {
        if (method === "PATCH" && secretWritten > 0 && path.includes("/kesrotations/c-kes/status"))
          throw new Error("injected fault: the operator died here");
        const r = await real.request(method, path, opts);
        if (method === "PATCH" && path.endsWith("/secrets/c-keys")) secretWritten++;
        return r as never;
      },
      watch: (path, query, onEvent, signal) => real.watch(path, query, onEvent, signal),
    };
    await startManager(faulty);
    await autoPool("kes-c", "c");
    await waitFor("the pool's Secret written", () => (secretWritten > 0 ? true : undefined));
    await manager.stop();
    real.close();
    const mid = await getRotation("kes-c", "c-kes");
    assert.equal(mid.status?.rotation?.step, "Verified", "the swap was done but not recorded");
    await startManager();
    const rot = await waitFor("the rotation to complete", async () => {
      const x = await getRotation("kes-c", "c-kes");
      return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 ? x : undefined;
    });
    assert.equal(rot.status!.rotation, undefined);
    assert.equal(secretWritten, 1);
    assert.equal((await events("kes-c", "KesKeyStaged")).length, 1, "one KES key");
    assert.equal((await events("kes-c", "OpcertSigned")).length, 1, "one certificate, one counter");
    assert.equal((await getPool("kes-c", "c")).status!.kes!.counter, 1);
  });
});

describe("killed at every step", () => {
  test("an operator killed after each of its writes in turn: every time one KES key, one counter, no bad key set", async (t) => {
    await manager?.stop();
    // A clean run of an Auto rotation first, counting the operator's writes in its namespace: each write ends a
    // step, and the runs below kill the operator right after the 1st, 2nd, ... of them.
    const writesIn = (ns: string) => (method: string, path: string) =>
      method !== "GET" && path.includes(`/namespaces/${ns}/`);
    const counting = (isWrite: (m: string, p: string) => boolean, dieAfter = Infinity) => {
      const real = new KubeClient(cp.kc);
      const seen = { writes: 0, staged: 0, signed: 0 };
      const api: KubeApi = {
        async request(method, path, opts) {
          if (isWrite(method, path)) {
            // Fault injection (the real API server cannot stop one chosen process at one chosen write): past the
            // chosen write every request fails, as if the operator had died there.
            if (seen.writes >= dieAfter) throw new Error("injected fault: the operator died here");
            const r = await real.request(method, path, opts);
            seen.writes++;
            if (/-kes-staged-\d+$/.test(path) && method === "PATCH") seen.staged++;
            if (path.endsWith("-kes-signed") && method === "PATCH") seen.signed++;
            return r as never;
          }
          return real.request(method, path, opts) as never;
        },
        watch: (path, query, onEvent, signal) => real.watch(path, query, onEvent, signal),
      };
      return { api, seen, close: () => real.close() };
    };
    const completed = (ns: string, p: string) =>
      waitFor(`the rotation in ${ns} to complete`, async () => {
        const x = await getRotation(ns, `${p}-kes`);
        return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 && !x.status.rotation ? x : undefined;
      });

    const clean = counting(writesIn("kes-k0"));
    await startManager(clean.api);
    await autoPool("kes-k0", "k");
    await completed("kes-k0", "k");
    await sleep(500); // the last status writes after completion
    await manager.stop();
    clean.close();
    const steps = clean.seen.writes;
    assert.ok(steps >= 8, `a rotation takes several writes (${steps})`);

    // Bounded: at most 24 kill points, spread over the run.
    const stride = Math.max(1, Math.ceil(steps / 24));
    t.diagnostic(`a clean rotation made ${steps} writes; killing after every ${stride === 1 ? "" : `${stride}th `}one`);
    for (let kill = 1; kill < steps; kill += stride) {
      const ns = `kes-k${kill}`;
      const dying = counting(writesIn(ns), kill);
      await startManager(dying.api);
      await autoPool(ns, "k");
      await waitFor(`the operator to reach write ${kill}`, () => (dying.seen.writes >= kill ? true : undefined));
      await sleep(200);
      await manager.stop();
      dying.close();
      const after = counting(writesIn(ns));
      await startManager(after.api);
      await completed(ns, "k");
      await manager.stop();
      after.close();
      const staged = dying.seen.staged + after.seen.staged;
      const signed = dying.seen.signed + after.seen.signed;
      assert.equal(staged, 1, `killed after write ${kill}: one KES key was staged`);
      assert.equal(signed, 1, `killed after write ${kill}: one certificate (one counter) was signed`);
      // Every key revision the producer could have been given passes the gate.
      const revisions = (await core.listNamespacedSecret({ namespace: ns })).items.filter((x) =>
        /^k-keys-[0-9a-f]{8}$/.test(x.metadata!.name!),
      );
      assert.ok(revisions.length >= 1);
      for (const r of revisions) {
        const g = gateKeys({ secretName: r.metadata!.name!, data: r.data, clock: preprod, at: new Date(nowMs) });
        assert.ok(g.passed, `killed after write ${kill}: revision ${r.metadata!.name} passes the gate`);
      }
    }
    await startManager();
  });
});

describe("leader slots", () => {
  test("the swap waits while the producer reports a leader slot within the margin, then goes ahead", async () => {
    // A real forging poolfleet-node (a 1-pool devnet, f = 1/2) stands in for pool d's producer: the controller asks
    // it for its leader schedule at the address the producer pod reports. No kubelet runs in this tier, so the
    // test creates the pod object and writes its status (podIP) itself.
    const devnet = join(mkdtempSync(join(tmpdir(), "pf-kes-leader-")), "devnet");
    await createDevnet(devnet, { activeSlotCoeff: "0.5" });
    const node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(devnet, "..", "db"),
      ...poolKeyArgs(devnet),
    ]);
    try {
      await waitFor("the node ready", async () => ((await node.get("/ready")).status === 200 ? true : undefined));
      const ns = "kes-d";
      await autoPool(ns, "d", { metrics: { port: node.port } });
      const pod = await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: "d-producer-0" },
          spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:test" }] },
        },
      });
      await core.replaceNamespacedPodStatus({
        namespace: ns,
        name: "d-producer-0",
        body: { ...pod, status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
      });
      const waiting = await waitFor("the swap to wait for a leader slot", async () => {
        const x = await getRotation(ns, "d-kes");
        const issuing = cond(x, "Issuing");
        return issuing?.message?.includes("leads slot") ? x : undefined;
      });
      assert.equal(waiting.status!.rotation!.step, "Verified", "signed and checked, not yet written");
      assert.equal(waiting.status!.lastRotation, undefined);
      // The producer stops (it leads nothing now): the swap goes ahead.
      assert.equal(await node.stop(), 0);
      const done = await waitFor("the rotation to complete", async () => {
        const x = await getRotation(ns, "d-kes");
        return x.status?.lastRotation?.counter === 1 ? x : undefined;
      });
      assert.equal(done.status!.rotation, undefined);
    } finally {
      node.child.kill("SIGKILL");
    }
  });
});

describe("secrets", () => {
  test("no secret key byte appears in any log line, Event, status or metric of this run", async () => {
    assert.ok(logLines.length > 20, `the operators logged (${logLines.length} lines)`);
    const stored = JSON.stringify(await readSecret("kes-a", "a-keys"));
    assert.ok(
      [...secretSpellings].some((s) => stored.includes(s)),
      "the detector finds the bytes where they are",
    );
    const texts: { where: string; text: string }[] = logLines.map((l, i) => ({ where: `log line ${i}`, text: l }));
    for (const ns of ["kes-a", "kes-b", "kes-c"]) {
      for (const e of await events(ns)) texts.push({ where: `Event in ${ns}`, text: JSON.stringify(e) });
      for (const plural of ["kesrotations", "stakepools"]) {
        const list = (await custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural,
          namespace: ns,
        })) as {
          items: Obj<unknown>[];
        };
        for (const o of list.items)
          texts.push({ where: `status of ${plural} ${o.metadata!.name}`, text: JSON.stringify(o.status) });
      }
      const cms = await core.listNamespacedConfigMap({ namespace: ns });
      texts.push({ where: `ConfigMaps in ${ns}`, text: JSON.stringify(cms.items.map((c) => c.data)) });
    }
    texts.push({ where: "metrics", text: await metrics.registry.metrics() });
    for (const { where, text } of texts) {
      for (const s of secretSpellings) assert.ok(!text.includes(s), `${where} contains secret bytes`);
      assert.ok(!text.includes("s3cr3t-t0ken"), `${where} contains the webhook URL's token`);
    }
  });
});
