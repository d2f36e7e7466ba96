// The KesRotation's steps as units: the real controller (kesrotation/controller.ts, through the manager's typed
// adapter) reconciles against an in-memory ReconcileContext (test/helpers/memory-context.ts), with real keys,
// certificates and the Jobs' own Secret builders (src/cli/kes-job-secrets.ts) playing the Jobs' part. Each test
// checks one step's decisions; what needs a real API server (idempotent writes, a killed operator, Jobs as pods)
// stays in kesrotation.test.ts and test/cluster/.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import type { KubernetesObject, V1ConfigMap, V1Job, V1Secret } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import type { KesRotationStatus } from "../../src/api/kesrotation.ts";
import { rotationNames } from "../../src/api/kesrotation-objects.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { buildSignedSecret, buildStagedKesSecret } from "../../src/cli/kes-job-secrets.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { parseEnvelope, renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate, type OperationalCertificate } from "../../src/formats/opcert.ts";
import { gateKeys } from "../../src/keys/secret-gate.ts";
import { kesRotationController } from "../../src/operator/kesrotation/controller.ts";
import { keyRevisionName } from "../../src/operator/keys/revision.ts";
import { KIND } from "../../src/operator/kind-refs.ts";
import type { Controller } from "../../src/operator/manager/context.ts";
import { networkClock } from "../../src/operator/networks.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";
import { MemoryContext } from "../helpers/memory-context.ts";

const NS = "units";
const POOL = "p";
const ROT = "p-kes";
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
const keyText = (kind: (typeof KEY_KINDS)[keyof typeof KEY_KINDS], bytes: Uint8Array) =>
  renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
const certText = (cert: OperationalCertificate) =>
  renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) });
const preprod = networkClock({ name: "preprod" });

type Rot = KubernetesObject & { status?: KesRotationStatus };
type Pool = KubernetesObject & { status?: StakePoolStatus };

/**
 * A StakePool whose producer runs a key set that passed the gate (counter 0, signed in the current KES period), its
 * revision Secret, the cold key's ConfigMap, and a KesRotation whose renewal time has come.
 */
function fixture(rotationSpec: Record<string, unknown> = {}) {
  const now = new Date();
  const ctx = new MemoryContext(now);
  const pool = newPool();
  const kes = newKes();
  const period = preprod.kesPeriodOfSlot(preprod.slotAt(now.getTime()));
  // Signed one KES period back: with renewBefore 92d of the 93-day window, renewal is then due at once at any time
  // of day (signed in the current period, it would not be during the first 24 h of a 36 h period).
  const cert = issue(pool, kes.vkey, 0, period - 1);
  const data = {
    "kes.skey": b64(keyText(KEY_KINDS.kesSigning, kes.bytes)),
    "vrf.skey": b64(keyText(KEY_KINDS.vrfSigning, newVrf())),
    "node.cert": b64(certText(cert)),
  };
  const coldText = keyText(KEY_KINDS.coldVerification, pool.coldVkey);
  const gate = gateKeys({ secretName: `${POOL}-keys`, data, at: now });
  assert.ok(gate.passed, "the starting key set passes its gate");
  const hash = gate.keysHash!;
  ctx.put({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${POOL}-cold`, namespace: NS },
    data: { "cold.vkey": coldText },
  });
  ctx.put({ apiVersion: "v1", kind: "Secret", metadata: { name: `${POOL}-keys`, namespace: NS }, data });
  ctx.put({ apiVersion: "v1", kind: "Secret", metadata: { name: keyRevisionName(POOL, hash), namespace: NS }, data });
  ctx.put<Pool>({
    apiVersion: KIND.StakePool.apiVersion,
    kind: "StakePool",
    metadata: { name: POOL, namespace: NS },
    spec: {
      network: { name: "preprod" },
      keys: { secretRef: { name: `${POOL}-keys` }, coldVerificationKeyRef: { name: `${POOL}-cold`, key: "cold.vkey" } },
    },
    status: { producer: { keysHash: hash } },
  } as Pool);
  ctx.put<Rot>({
    apiVersion: KIND.KesRotation.apiVersion,
    kind: "KesRotation",
    metadata: { name: ROT, namespace: NS },
    // 92 days of the 93 a preprod certificate lasts (62 periods of 36 h), signed a period back: due at once.
    spec: {
      poolRef: { name: POOL },
      mode: "Assisted",
      renewBefore: "92d",
      leaderSlotMarginMinutes: 0,
      ...rotationSpec,
    },
  } as Rot);
  const controller = kesRotationController({ registry: new Registry() });
  const reconcile = () => controller.reconcile(ctx, { namespace: NS, name: ROT });
  const rotation = () => ctx.get<Rot>(KIND.KesRotation, { namespace: NS, name: ROT })!.status!;
  return { ctx, pool, kes, period, hash, controller, reconcile, rotation };
}

/** Plays the staging Job: its own command's Secret, then the Job marked Complete. */
function finishStagingJob(ctx: MemoryContext, counter: number) {
  const rot = ctx.get<Rot>(KIND.KesRotation, { namespace: NS, name: ROT })!;
  const owner = { apiVersion: rot.apiVersion!, kind: "KesRotation", name: ROT, namespace: NS, uid: rot.metadata!.uid! };
  ctx.put(buildStagedKesSecret(owner, POOL, counter, Uint8Array.from(randomBytes(32))));
  const job = ctx.list<V1Job>(KIND.Job, NS).find((j) => j.metadata!.name!.includes("-stage-"))!;
  ctx.put({ ...job, status: { conditions: [{ type: "Complete", status: "True" }] } } as V1Job);
  return owner;
}

describe("KesRotation steps, in memory", () => {
  test("start -> stage -> request -> refused -> verified -> swapped -> done, each step recorded before the next", async () => {
    const f = fixture();
    const { ctx } = f;

    // start + stage: the rotation begins at counter 1 and the staging Job is started (its identity first).
    await f.reconcile();
    assert.equal(f.rotation().rotation?.step, "Staging");
    assert.equal(f.rotation().rotation?.counter, 1);
    assert.deepEqual(
      ctx.writes.filter((w) => w.verb === "apply").map((w) => w.kind),
      ["ServiceAccount", "RoleBinding", "Job"],
    );
    assert.deepEqual(
      ctx.events.map((e) => e.reason),
      ["RotationStarted", "KesJobStarted"],
    );
    // A reconcile while the Job runs starts nothing new.
    const before = ctx.writes.filter((w) => w.verb === "apply").length;
    await f.reconcile();
    assert.equal(ctx.writes.filter((w) => w.verb === "apply").length, before);

    // The Job made the staged key: the request is published with the online period and counter 1.
    const owner = finishStagingJob(ctx, 1);
    await f.reconcile();
    const st = f.rotation();
    assert.equal(st.rotation?.step, "AwaitingSignature");
    assert.deepEqual([st.request?.counter, st.request?.kesPeriod], [1, f.period]);
    const cm = ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: NS, name: rotationNames.request(ROT) })!;
    assert.match(cm.data!["commands.sh"] ?? Object.values(cm.data!).join("\n"), /--counter-value 1/);

    // A certificate with the wrong counter is refused once, however many reconciles see it.
    const staged = ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: st.rotation!.stagedSecretName })!;
    const stagedVkey = keyFromEnvelope(
      parseEnvelope(unb64(staged.data!["kes.vkey"]!), "staged"),
      "staged",
      KEY_KINDS.kesVerification,
    );
    ctx.put(buildSignedSecret(owner, POOL, certText(issue(f.pool, stagedVkey, 5, f.period))));
    await f.reconcile();
    await f.reconcile();
    assert.equal(ctx.events.filter((e) => e.reason === "CertificateRefused").length, 1);
    assert.match(f.rotation().rotation?.refusal ?? "", /5/);
    assert.equal(
      ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.metadata!.resourceVersion !== undefined,
      true,
    );
    const userKeysBefore = ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.data;

    // The right certificate: verified, and the new set written into the pool's Secret in the same pass.
    assert.deepEqual(ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.data, userKeysBefore);
    ctx.put(buildSignedSecret(owner, POOL, certText(issue(f.pool, stagedVkey, 1, f.period))));
    await f.reconcile();
    const swapped = f.rotation().rotation!;
    assert.equal(swapped.step, "Swapped");
    const written = ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.data!;
    assert.equal(written["kes.skey"], staged.data!["kes.skey"]);
    assert.equal(written["vrf.skey"], userKeysBefore!["vrf.skey"], "the running VRF key is kept");
    assert.ok(
      ["CertificateAccepted", "KeySetWritten"].every((r) => ctx.events.some((e) => e.reason === r)),
      "accepted and written are both said",
    );

    // The StakePool rolls onto the new revision and its producer reports forging with counter 1: done.
    const pool = ctx.get<Pool>(KIND.StakePool, { namespace: NS, name: POOL })!;
    ctx.put({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: keyRevisionName(POOL, swapped.newKeysHash!), namespace: NS },
      data: written,
    });
    ctx.put<Pool>({
      ...pool,
      status: {
        producer: { keysHash: swapped.newKeysHash!, opcertCounter: 1 },
        conditions: [
          {
            type: "Forging",
            status: "True",
            reason: "Forging",
            message: "",
            lastTransitionTime: ctx.now().toISOString(),
          },
        ],
      },
    } as Pool);
    await f.reconcile();
    const done = f.rotation();
    assert.equal(done.rotation, undefined);
    assert.equal(done.lastRotation?.counter, 1);
    assert.equal(done.lastRotation?.forgingConfirmed, true);
    for (const name of [swapped.stagedSecretName, rotationNames.signed(ROT)])
      assert.equal(ctx.get(KIND.Secret, { namespace: NS, name }), undefined, `${name} is deleted`);
    assert.equal(ctx.get(KIND.ConfigMap, { namespace: NS, name: rotationNames.request(ROT) }), undefined);
    assert.ok(ctx.events.some((e) => e.reason === "Rotated"));
  });

  test("a second rotation of the same pool waits while the first is in flight", async () => {
    const f = fixture();
    await f.reconcile();
    f.ctx.put<Rot>({
      apiVersion: KIND.KesRotation.apiVersion,
      kind: "KesRotation",
      metadata: { name: "second", namespace: NS },
      spec: { poolRef: { name: POOL }, mode: "Assisted", renewBefore: "92d" },
    } as Rot);
    const writesBefore = f.ctx.writes.length;
    await f.controller.reconcile(f.ctx, { namespace: NS, name: "second" });
    const second = f.ctx.get<Rot>(KIND.KesRotation, { namespace: NS, name: "second" })!.status!;
    assert.equal(second.rotation, undefined);
    const issuing = second.conditions?.find((c) => c.type === "Issuing");
    assert.match(`${issuing?.reason} ${issuing?.message}`, /AnotherRotationInFlight|already rotating/);
    assert.deepEqual(
      f.ctx.writes.slice(writesBefore).map((w) => w.verb),
      ["apply-status"],
      "the waiting rotation writes its own status only",
    );
  });

  test("a cold-key ConfigMap the pool names but that is gone refuses the certificate; nothing is swapped", async () => {
    const f = fixture();
    await f.reconcile();
    const owner = finishStagingJob(f.ctx, 1);
    await f.reconcile();
    const staged = f.ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: f.rotation().rotation!.stagedSecretName })!;
    const vkey = keyFromEnvelope(parseEnvelope(unb64(staged.data!["kes.vkey"]!), "s"), "s", KEY_KINDS.kesVerification);
    await f.ctx.delete(KIND.ConfigMap, { namespace: NS, name: `${POOL}-cold` });
    f.ctx.put(buildSignedSecret(owner, POOL, certText(issue(f.pool, vkey, 1, f.period))));
    const keysBefore = f.ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.data;
    await f.reconcile();
    assert.equal(f.rotation().rotation?.step, "AwaitingSignature");
    assert.match(f.rotation().rotation?.refusal ?? "", /ConfigMap p-cold, key cold\.vkey does not exist/);
    assert.deepEqual(f.ctx.get<V1Secret>(KIND.Secret, { namespace: NS, name: `${POOL}-keys` })!.data, keysBefore);
  });
});

describe("the controllers' shared prologue (manager/typed-controller.ts)", () => {
  const cases: [string, () => Promise<Controller>, KubernetesObject][] = [];
  const specOf = (kind: string) => ({
    apiVersion: `poolfleet.io/v1alpha1`,
    kind,
    metadata: { name: "bad", namespace: NS },
    spec: { replicas: "many", poolRef: 7 },
  });
  for (const [kind, load] of [
    [
      "StakePool",
      async () =>
        (await import("../../src/operator/controllers/stakepool.ts")).stakePoolController({ registry: new Registry() }),
    ],
    ["Relay", async () => (await import("../../src/operator/controllers/relay.ts")).relayController()],
    [
      "MultikeyGroup",
      async () => (await import("../../src/operator/controllers/multikeygroup.ts")).multikeyGroupController(),
    ],
    ["KesRotation", async () => kesRotationController({ registry: new Registry() })],
  ] as const)
    cases.push([kind, load, specOf(kind)]);

  for (const [kind, load, obj] of cases) {
    test(`${kind}: an invalid spec gives Ready=False SpecInvalid naming the fields, one Warning Event, nothing else`, async () => {
      const ctx = new MemoryContext(new Date());
      ctx.put(obj);
      const c = await load();
      await c.reconcile(ctx, { namespace: NS, name: "bad" });
      const status = ctx.get<
        KubernetesObject & {
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        }
      >(c.primary, { namespace: NS, name: "bad" })!.status;
      const ready = status?.conditions?.find((x) => x.type === "Ready");
      assert.equal(ready?.status, "False");
      assert.equal(ready?.reason, "SpecInvalid");
      assert.match(ready!.message, /^spec is not valid: spec\.\w+/);
      assert.deepEqual(
        ctx.events.map((e) => [e.type, e.reason]),
        [["Warning", "SpecInvalid"]],
      );
      assert.deepEqual(
        ctx.writes.map((w) => w.verb),
        ["apply-status"],
      );
    });

    test(`${kind}: a deleted object is forgotten and nothing is written`, async () => {
      const ctx = new MemoryContext(new Date());
      const c = await load();
      assert.deepEqual(await c.reconcile(ctx, { namespace: NS, name: "gone" }), {});
      assert.deepEqual(ctx.writes, []);
      assert.deepEqual(ctx.events, []);
    });
  }
});
