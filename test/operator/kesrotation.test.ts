// The KesRotation controller on a real kube-apiserver, beside the real StakePool controller, with a clock the test
// moves (the manager's injected now()): days before expiry nothing happens; each reminder threshold gives exactly
// one Warning Event, one call to a real loopback webhook and moving gauges; at renewal time the Assisted request
// appears with the right period and counter; seeds/003's certificates and counters one off are refused and the
// producer keeps its keys; a new manager instance mid-rotation resumes without a second key or counter; a correct
// certificate moves the pool onto a new revision and keeps the old one; Auto mode rotates on its own; and no
// secret byte reaches a log line, Event, status or metric.
// The rotation's Jobs (the KES key staged in a Job's pod, Auto signing with the mounted cold key) are run by the
// stand-in for the job controller and kubelet (test/helpers/job-standin.ts): this checkout's poolfleet-cli as a
// local process, with a token the API server issued for the Jobs' ServiceAccount, bound by the operator to the
// ClusterRole the chart ships (KES_JOB_RULES), against the same API server.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import type { KesRotationStatus } from "../../src/api/kesrotation.ts";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { parseEnvelope, renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate, type OperationalCertificate } from "../../src/formats/opcert.ts";
import { DEFAULT_KES_JOB_CLUSTERROLE, KES_JOB_RULES } from "../../src/operator/kesrotation/build-jobs.ts";
import { kesRotationController } from "../../src/operator/kesrotation/controller.ts";
import { gateKeys } from "../../src/keys/secret-gate.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { multikeyGroupController } from "../../src/operator/controllers/multikeygroup.ts";
import { bundleContents, bundleDisplayNames } from "../../src/operator/builders/group-producer.ts";
import type { MultikeyGroupStatus } from "../../src/api/multikeygroup.ts";
import { DAY_MS } from "../../src/keys/kes-schedule.ts";
import { type KubeApi, KubeClient } from "../../src/kube/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { ManagerMetrics } from "../../src/operator/manager/metrics.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { networkClock } from "../../src/operator/networks.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { type JobStandIn, startJobStandIn } from "../helpers/job-standin.ts";
import { startNode } from "../helpers/node-process.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";
import { dyingApi, writesIn } from "../helpers/dying-api.ts";
import { waitWithin } from "../helpers/wait.ts";

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let raw: KubeClient;
let batch: BatchV1Api;
let standIn: JobStandIn;
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

// 60 s: the killed-at-every-step story waits for Jobs and restarts many times; 30 s timed out on a loaded machine.
const waitFor = waitWithin(60_000);
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

/** How many times a Job's CLI created Secret ns/name (a retried or rerun Job that found it says "kept it"). */
const created = (ns: string, name: string) =>
  standIn.runs.filter((r) => r.log.includes(`created Secret ${ns}/${name} `)).length;

/**
 * No producer in this file serves /metrics (the StakePool controller's scraping is off), so no rotation can be
 * confirmed by the producer forging with the new certificate (test/operator/kesrotation-confirm.test.ts has a real
 * one). Once a rotation waits for that, this moves the test clock past spec.forgingConfirmationTimeout (30m by
 * default), and the rotation completes as not confirmed. Idempotent: call it from any wait.
 */
const FORGING_TIMEOUT_MS = 30 * 60_000;
function pastForgingTimeout(x: Obj<KesRotationStatus>): void {
  const since = x.status?.rotation?.runningSince;
  if (since && cond(x, "Issuing")?.reason === "WaitingForForging")
    nowMs = Math.max(nowMs, Date.parse(since) + FORGING_TIMEOUT_MS + 1000);
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
      multikeyGroupController({ pollMs: 200, scrape: false }),
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
    batch = cp.kc.makeApiClient(BatchV1Api);
    await installProjectCrds(cp.kc);
    // The ClusterRole the chart ships for the Jobs' ServiceAccount (test/chart/rbac.test.ts keeps them equal).
    await cp.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
      body: { metadata: { name: DEFAULT_KES_JOB_CLUSTERROLE }, rules: KES_JOB_RULES },
    });
    standIn = startJobStandIn(cp.kc);
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
  await standIn?.stop();
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
    // The key was generated in the staging Job's pod, by the real CLI with the Job's own token, once.
    assert.equal(created(ns, "a-kes-staged-1"), 1);
    const job = await batch.readNamespacedJob({ namespace: ns, name: "a-kes-stage-1" });
    assert.equal(job.metadata!.ownerReferences![0]!.name, "a-kes");
    const pod = job.spec!.template.spec!;
    const container = pod.containers[0]!;
    assert.equal(pod.serviceAccountName, "a-kes-kes-job");
    assert.equal(container.image, sts.spec!.template.spec!.containers[0]!.image, "the pool's node image");
    assert.deepEqual(container.command, ["poolfleet-cli"]);
    assert.deepEqual(container.args!.slice(0, 2), ["kes", "stage"]);
    assert.equal(pod.securityContext!.runAsNonRoot, true);
    assert.equal(container.securityContext!.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext!.allowPrivilegeEscalation, false);
    assert.ok(job.spec!.backoffLimit! <= 2);
    const binding = await cp.kc
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRoleBinding({ namespace: ns, name: "a-kes-kes-job" });
    assert.equal(binding.roleRef.name, DEFAULT_KES_JOB_CLUSTERROLE);
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
        // Events first: the operator records the refusal in status before its Event, so once the (i+1)th Event
        // exists a status read after it is this case's (read the other way round, CI once matched the case
        // before's status).
        const refused = (await events(ns, "CertificateRefused")).length === i + 1;
        const x = await getRotation(ns, "a-kes");
        const kv = cond(x, "KeysValid");
        return refused && kv?.status === "False" && (x.status?.rotation?.refusal ?? "") !== "" ? x : undefined;
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
    assert.equal(standIn.runs.filter((x) => x.job === "a-kes-stage-1").length, 1, "the staging Job ran once");
    assert.equal(created(ns, "a-kes-staged-1"), 1);
    assert.equal((await events(ns, "KesExpiringSoon")).length, 3, "no reminder repeated after the restart");
    assert.equal(webhookCalls.length, 3);
  });

  test("a correct certificate is accepted and the pool moves to a new revision, keeping the old one", async () => {
    const r = request!;
    await setSecret(ns, "a-kes-signed", { "node.cert": b64(certText(issue(keys.pool, r.kesVkey, 1, r.kesPeriod))) });
    // Swapped, and the pool runs the new revision: the rotation stays open, waiting for the producer to report
    // forging with issue number 1, which this producer (no metrics) never does.
    const waiting = await waitFor("the wait for forging", async () => {
      const x = await getRotation(ns, "a-kes");
      return cond(x, "Issuing")?.reason === "WaitingForForging" ? x : undefined;
    });
    assert.equal(waiting.status!.rotation!.step, "Swapped");
    assert.match(cond(waiting, "Issuing")!.message, /forging with issue number 1: it reports Forging=False/);
    assert.equal(cond(waiting, "ForgingConfirmed")?.status, "Unknown");
    await sleep(800);
    const still = await getRotation(ns, "a-kes");
    assert.equal(still.status!.lastRotation, undefined, "no completion while the producer has not confirmed");
    assert.ok(await readSecret(ns, "a-kes-staged-1"), "nothing is cleaned up yet");
    // Past spec.forgingConfirmationTimeout: completed, loudly NOT confirmed, with how to roll back.
    pastForgingTimeout(still);
    const rot = await waitFor("the rotation to complete", async () => {
      const x = await getRotation(ns, "a-kes");
      return x.status?.lastRotation?.counter === 1 && !x.status.rotation ? x : undefined;
    });
    assert.equal(rot.status!.lastRotation!.forgingConfirmed, false);
    const notConfirmed = cond(rot, "ForgingConfirmed")!;
    assert.equal(notConfirmed.status, "False");
    assert.equal(notConfirmed.reason, "NotConfirmed");
    assert.match(notConfirmed.message, new RegExp(`roll back to revision a-keys-${firstHash.slice(0, 8)}`));
    // The status is written before the step's Events (finish.ts), so the Warning may come a moment after it.
    const warnings = await waitFor("the ForgingNotConfirmed Warning", async () => {
      const w = await events(ns, "ForgingNotConfirmed");
      return w.length > 0 ? w : undefined;
    });
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.type, "Warning");
    assert.match(warnings[0]!.note!, /WITHOUT confirmation within 30m/);
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
    await waitFor("the staging Job deleted", async () =>
      (await batch.listNamespacedJob({ namespace: ns })).items.length === 0 ? true : undefined,
    );
    const current = await waitFor("the new figures", async () => {
      const x = await getRotation(ns, "a-kes");
      return x.status?.counter === 1 ? x : undefined;
    });
    assert.equal(current.status!.startPeriod, r.kesPeriod);
    assert.equal(cond(current, "Ready")?.status, "True");
    assert.equal(cond(current, "RotationDue")?.status, "False");
    assert.equal(cond(current, "KeysValid")?.status, "True");
    assert.equal(current.status!.phase, "Valid");
    const rotated = await waitFor("the Rotated Event", async () => {
      const e = await events(ns, "Rotated");
      return e.length > 0 ? e : undefined;
    });
    assert.equal(rotated.length, 1);
    assert.equal(await gauge("poolfleet_kes_periods_remaining", "a-kes"), 62);
  });
});

describe("KesRotation controller, Auto", () => {
  test("the signing Job signs with the acknowledged in-cluster cold key; the operator never reads it", async () => {
    const ns = "kes-b";
    const paths: string[] = [];
    manager.onRequest((_method, path) => paths.push(path));
    await autoPool(ns, "b");
    const rot = await waitFor("the Auto rotation", async () => {
      const x = await getRotation(ns, "b-kes");
      pastForgingTimeout(x);
      return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 ? x : undefined;
    });
    assert.equal(rot.status!.startPeriod, periodAt(nowMs));
    assert.equal((await events(ns, "OpcertSigned")).length, 1);
    assert.equal((await getPool(ns, "b")).status!.kes!.counter, 1);
    assert.equal(created(ns, "b-kes-staged-1"), 1);
    assert.equal(created(ns, "b-kes-signed"), 1, "signed in the Job's pod");
    assert.ok(paths.length > 10, `the operator's requests were seen (${paths.length})`);
    assert.deepEqual(
      paths.filter((p) => p.includes("/secrets/b-cold-skey")),
      [],
      "the operator never requested the cold key Secret",
    );
    const sign = standIn.runs.find((x) => x.job === "b-kes-sign-1")!;
    assert.equal(sign.exitCode, 0);
  });
});

describe("a pool in a MultikeyGroup", () => {
  test("an Auto rotation of one pool of a group: that pool moves to a new revision, the other pool is untouched", async () => {
    const ns = "kes-g";
    const a = poolKeys(periodAt(nowMs) - 60); // due at once
    const b = poolKeys(periodAt(nowMs));
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const [p, keys] of [
      ["a", a],
      ["b", b],
    ] as const) {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: `${p}-cold` }, data: { "cold.vkey": keys.coldText } },
      });
      await setSecret(ns, `${p}-keys`, keys.data);
    }
    const coldText = keyText(KEY_KINDS.coldSigning, a.pool.coldSeed);
    registerSecretText(coldText);
    await setSecret(ns, "a-cold-skey", { "cold.skey": b64(coldText) });
    await createObject(ns, "multikeygroups", "MultikeyGroup", "g", {
      network: { name: "preprod" },
      pools: ["a", "b"].map((p) => ({
        name: p,
        keys: { secretRef: { name: `${p}-keys` }, coldVerificationKeyRef: { name: `${p}-cold` } },
      })),
      relays: { replicas: 1 },
    });
    const group = () => getObject<MultikeyGroupStatus>(ns, "multikeygroups", "g");
    const poolOf = async (p: string) => (await group()).status?.pools?.find((x) => x.name === p);
    const before = await waitFor("both pools in the group's bundle", async () => {
      const [pa, pb] = [await poolOf("a"), await poolOf("b")];
      return pa?.keysHash && pb?.keysHash ? { a: pa.keysHash, b: pb.keysHash } : undefined;
    });
    const bSecretBefore = (await readSecret(ns, "b-keys"))!.data;
    const templateBefore = (await apps.readNamespacedStatefulSet({ namespace: ns, name: "g-producer" })).metadata!
      .generation;
    await createObject(ns, "kesrotations", "KesRotation", "a-kes", {
      groupPoolRef: { group: "g", pool: "a" },
      mode: "Auto",
      auto: { coldKeySecretRef: { name: "a-cold-skey" }, acknowledgeColdKeyInCluster: true },
    });
    const rot = await waitFor("the group pool's rotation", async () => {
      const x = await getRotation(ns, "a-kes");
      pastForgingTimeout(x);
      return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 ? x : undefined;
    });
    assert.equal(rot.status!.pool, "g/a");
    assert.equal(rot.status!.lastRotation!.previousKeysHash, before.a);
    const after = await waitFor("the group's status after the swap", async () => {
      const pa = await poolOf("a");
      return pa?.keysHash === rot.status!.lastRotation!.keysHash ? pa : undefined;
    });
    assert.equal(after.keysValid, true);
    // The other pool: same Secret, same revision; the producer's bundle holds a's new revision and b's old one,
    // swapped in place: the producer's pod template is the one it had before the rotation (no roll).
    assert.equal((await poolOf("b"))!.keysHash, before.b);
    assert.deepEqual((await readSecret(ns, "b-keys"))!.data, bSecretBefore);
    const held = bundleContents(await readSecret(ns, "g-producer-keys"));
    assert.equal(held.get("a")!.secretName, `g-a-keys-${rot.status!.lastRotation!.keysHash!.slice(0, 8)}`);
    assert.equal(held.get("b")!.secretName, `g-b-keys-${before.b.slice(0, 8)}`);
    const sts = await apps.readNamespacedStatefulSet({ namespace: ns, name: "g-producer" });
    assert.equal(sts.metadata!.generation, templateBefore, "the rotation did not roll the group's producer");
    assert.equal(bundleDisplayNames("g", [{ name: "a" }, { name: "b" }]).get("a"), "g-0");
    // The rotation's objects carry the group pool's name; the Events say which pool of which group.
    assert.equal(created(ns, "a-kes-staged-1"), 1);
    assert.equal(created(ns, "a-kes-signed"), 1);
    // finish.ts writes the status before its Events: wait for the Event rather than read it once.
    const rotated = await waitFor("the Rotated Event", async () => {
      const e = await events(ns, "Rotated");
      return e.length > 0 ? e : undefined;
    });
    assert.equal(rotated.length, 1);
    assert.match(rotated[0]!.note ?? "", /Pool a of MultikeyGroup g runs key revision g-a-keys-/);
    assert.match(rotated[0]!.note ?? "", new RegExp(`previous revision g-a-keys-${before.a.slice(0, 8)}`));
  });

  test("naming both poolRef and groupPoolRef, or neither, is refused at admission", async () => {
    const ns = "kes-g2";
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const spec of [{ poolRef: { name: "p" }, groupPoolRef: { group: "g", pool: "a" } }, { mode: "MonitorOnly" }])
      await assert.rejects(
        createObject(ns, "kesrotations", "KesRotation", "x", spec),
        /name exactly one pool: poolRef \(a StakePool\) or groupPoolRef/,
      );
  });
});

/** A pool whose certificate has two KES periods left, under an Auto rotation (due at once). */
async function autoPool(
  ns: string,
  p: string,
  extraSpec: Record<string, unknown> = {},
  rotationSpec: Record<string, unknown> = {},
  coldKeySecret = true,
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
  if (coldKeySecret) await setSecret(ns, `${p}-cold-skey`, { "cold.skey": b64(coldText) });
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
      pastForgingTimeout(x);
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
      pastForgingTimeout(x);
      return x.status?.lastRotation?.counter === 1 && x.status.counter === 1 ? x : undefined;
    });
    assert.equal(rot.status!.rotation, undefined);
    assert.equal(secretWritten, 1);
    assert.equal(created("kes-c", "c-kes-staged-1"), 1, "one KES key");
    assert.equal(created("kes-c", "c-kes-signed"), 1, "one certificate, one counter");
    assert.equal((await getPool("kes-c", "c")).status!.kes!.counter, 1);
  });
});

describe("killed at every step", () => {
  test("an operator killed after each of its writes in turn: every time one KES key, one counter, no bad key set", async (t) => {
    await manager?.stop();
    // A clean run of an Auto rotation first, counting the operator's writes in its namespace: each write ends a
    // step, and the runs below kill the operator right after the 1st, 2nd, ... of them.
    const counting = (isWrite: (m: string, p: string) => boolean, dieAfter = Infinity) =>
      dyingApi(cp.kc, isWrite, dieAfter);
    const completed = (ns: string, p: string) =>
      waitFor(`the rotation in ${ns} to complete`, async () => {
        const x = await getRotation(ns, `${p}-kes`);
        pastForgingTimeout(x);
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
      await waitFor(`the operator to reach write ${kill}`, async () => {
        pastForgingTimeout(await getRotation(ns, "k-kes"));
        return dying.seen.writes >= kill ? true : undefined;
      });
      await sleep(200);
      await manager.stop();
      dying.close();
      const after = counting(writesIn(ns));
      await startManager(after.api);
      await completed(ns, "k");
      await manager.stop();
      after.close();
      // The Jobs' CLI creates each Secret once; a Job run again after the restart finds it and keeps it.
      assert.equal(created(ns, "k-kes-staged-1"), 1, `killed after write ${kill}: one KES key was staged`);
      assert.equal(created(ns, "k-kes-signed"), 1, `killed after write ${kill}: one certificate (one counter)`);
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
    // it for its leader schedule at the address and API port the producer pod reports. No kubelet runs in this
    // tier, so the test creates the pod object and writes its status (podIP) itself.
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
          // The node's API port under the name the operator asks for ("api"; 12799 in the pods it builds).
          spec: {
            containers: [
              {
                name: "node",
                image: "poolfleet/poolfleet-node:test",
                ports: [{ name: "api", containerPort: node.apiPort }],
              },
            ],
          },
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
        pastForgingTimeout(x);
        return x.status?.lastRotation?.counter === 1 ? x : undefined;
      });
      assert.equal(done.status!.rotation, undefined);
    } finally {
      node.child.kill("SIGKILL");
    }
  });
});

describe("a failed Job", () => {
  test("no cold key Secret, then one that holds no cold key: the rotation stops with a clear condition and Event, and nothing changes; fixed, it rotates", async () => {
    const ns = "kes-f";
    await manager?.stop(); // a fresh one, so this test also runs alone (--test-name-pattern)
    await startManager();
    const keys = await autoPool(ns, "f", {}, {}, false);
    const firstHash = await waitFor("the pool's keys", async () => (await getPool(ns, "f")).status?.producer?.keysHash);
    const userBefore = (await readSecret(ns, "f-keys"))!.data;
    const failedWith = async (what: string, check: RegExp, events_: number) => {
      const rot = await waitFor(what, async () => {
        const x = await getRotation(ns, "f-kes");
        const issuing = cond(x, "Issuing");
        return issuing?.reason === "SigningJobFailed" && check.test(issuing.message) ? x : undefined;
      });
      const message = cond(rot, "Issuing")!.message;
      assert.match(
        message,
        /Job f-kes-sign-1 \(signing the request with the in-cluster cold key\) failed, exit code 1/,
      );
      assert.match(message, /kubectl -n kes-f delete job f-kes-sign-1/, "it says how to run it again");
      assert.equal(rot.status!.rotation!.step, "AwaitingSignature");
      const evs = await waitFor("the Warning Event", async () => {
        const e = (await events(ns, "SigningJobFailed")).filter((x) => check.test(x.note ?? ""));
        return e.length > 0 ? e : undefined;
      });
      assert.equal(evs[0]!.type, "Warning");
      assert.equal((await events(ns, "SigningJobFailed")).length, events_);
      // Nothing changed: no certificate, the pool's Secret and revision as they were.
      assert.equal(await readSecret(ns, "f-kes-signed"), undefined);
      assert.deepEqual((await readSecret(ns, "f-keys"))!.data, userBefore);
      assert.equal((await getPool(ns, "f")).status!.producer!.keysHash, firstHash);
      assert.equal(rot.status!.lastRotation, undefined);
    };
    await failedWith(
      "the signing Job to fail for the missing Secret",
      /Secret f-cold-skey, key cold\.skey: does not exist/,
      1,
    );
    // The wrong key in the Secret (the cold *verification* key), and the Job deleted to run it again.
    await setSecret(ns, "f-cold-skey", { "cold.skey": b64(keys.coldText) });
    await batch.deleteNamespacedJob({ namespace: ns, name: "f-kes-sign-1", propagationPolicy: "Background" });
    await failedWith("the signing Job to fail for the wrong key", /is not a cold signing key/, 2);
    assert.equal(created(ns, "f-kes-staged-1"), 1, "the staged key was made once and kept");
    // Fixed: the right key, the Job run again, and the rotation completes.
    await setSecret(ns, "f-cold-skey", { "cold.skey": b64(keyText(KEY_KINDS.coldSigning, keys.pool.coldSeed)) });
    await batch.deleteNamespacedJob({ namespace: ns, name: "f-kes-sign-1", propagationPolicy: "Background" });
    await waitFor("the rotation to complete", async () => {
      const x = await getRotation(ns, "f-kes");
      pastForgingTimeout(x);
      return x.status?.lastRotation?.counter === 1 ? x : undefined;
    });
    assert.equal(created(ns, "f-kes-signed"), 1);
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
    for (const ns of ["kes-a", "kes-b", "kes-c", "kes-f"]) {
      for (const e of await events(ns)) texts.push({ where: `Event in ${ns}`, text: JSON.stringify(e) });
      // The Jobs' pods: spec, command line and environment carry names, never key bytes; and their status.
      for (const j of (await batch.listNamespacedJob({ namespace: ns })).items)
        texts.push({ where: `Job ${j.metadata!.name}`, text: JSON.stringify({ spec: j.spec, status: j.status }) });
      for (const p of (await core.listNamespacedPod({ namespace: ns })).items)
        texts.push({ where: `Pod ${p.metadata!.name}`, text: JSON.stringify({ spec: p.spec, status: p.status }) });
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
    // What the Jobs' containers printed (their logs, and the termination messages the operator shows).
    assert.ok(
      standIn.runs.some((r) => r.exitCode !== 0),
      "failed runs are among those scanned",
    );
    for (const r of standIn.runs) texts.push({ where: `log of pod ${r.pod}`, text: r.log });
    for (const { where, text } of texts) {
      for (const s of secretSpellings) assert.ok(!text.includes(s), `${where} contains secret bytes`);
      assert.ok(!text.includes("s3cr3t-t0ken"), `${where} contains the webhook URL's token`);
    }
  });
});
