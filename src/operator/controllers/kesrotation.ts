// The KesRotation controller: track a pool's KES window, remind ahead of expiry, and (Assisted, Auto) rotate.
//
// Tracking reads the certificate the producer runs (node.cert of the StakePool's current key revision; only
// that public file is decoded), the network's genesis and ctx.now(), and publishes the schedule in status and
// the four cert-manager-style gauges. Reminders: one Warning Event per threshold crossed, recorded in status
// (with the certificate's counter) before anything else happens, then the webhook, retried each reconcile until
// delivered. Rotation is a sequence of steps, each recorded in status before the next begins, with
// deterministic names (request.ts), so a restarted operator resumes and never makes a second key or counter:
//   Staging            -> the staged KES key Secret exists (made once; immutable)
//   AwaitingSignature  -> the opcert request (status.request + ConfigMap) is published; Auto signs it here
//   Verified           -> the handed-back certificate passed checkRotation (kes-key, signature, counter = n, window)
//   Swapped            -> the new set (staged kes.skey, running vrf.skey, new node.cert) was written into the
//                         pool's own key Secret; the StakePool's gate runs on it last and rolls the producer onto a
//                         new immutable revision, keeping the previous revision Secret for rollback
//   done               -> the producer runs the new revision; staged/request/signed objects are deleted.
// A refused certificate changes nothing the producer runs: Warning Event + KeysValid=False naming the check.
import { createHash } from "node:crypto";
import type { KubernetesObject, V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { kesRotationSpec, type KesRotationSpec, type KesRotationStatus } from "../../api/kesrotation.ts";
import { stakePoolSpec, type StakePoolSpec, type StakePoolStatus } from "../../api/stakepool.ts";
import { parseEnvelope } from "../../formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope, OPCERT_TYPE } from "../../formats/keys.ts";
import { keyHash } from "../../formats/keyset-check.ts";
import {
  encodeOperationalCertificate,
  issueOperationalCertificate,
  type OperationalCertificate,
  opcertFromEnvelope,
} from "../../formats/opcert.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import { renderEnvelope } from "../../formats/envelope.ts";
import { checkRotation } from "../kes/gate.ts";
import { type KesMetrics, type KesSeries, registerKesMetrics } from "../kes/metrics.ts";
import {
  buildRequestConfigMap,
  buildSignedSecret,
  buildStagedKesSecret,
  rotationNames,
  SIGNED_FILE,
  STAGED_FILES,
} from "../builders/kes-rotation.ts";
import { kesSchedule, parseRenewBefore, reminderToSend } from "../kes/schedule.ts";
import { postWebhook } from "./kesrotation-webhook.ts";
import { gateKeys } from "../keys/gate.ts";
import { KEY_FILES, keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kinds.ts";
import { rvNotNewer } from "../manager/apply.ts";
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import type { Owner } from "../names.ts";
import { kesRotationStatus, type Rotation, type RotationObservation } from "./kesrotation-status.ts";
import { clockFor } from "./stakepool.ts";

export const KESROTATION_CONTROLLER = "poolfleet-kesrotation";

export interface KesRotationControllerOptions {
  /** Longest wait between reconciles (Secrets handed back are not watched). Default 60 s. */
  pollMs?: number;
  /**
   * Registry for the poolfleet_kes_* gauges. Default: kesMetricsRegistry, which the operator's main adds to the
   * manager's registry (the Controller contract has no hook for a controller's own metrics yet).
   */
  registry?: Registry;
  webhookTimeoutMs?: number;
}

interface KesRotationObject extends KubernetesObject {
  spec: unknown;
  status?: KesRotationStatus;
}
interface StakePoolObject extends KubernetesObject {
  spec: unknown;
  status?: StakePoolStatus;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A problem that stops this reconcile's progress, with a condition reason. Messages carry no secret bytes. */
class Stop extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

function certIn(data: Record<string, string> | undefined, where: string): OperationalCertificate {
  const b = data?.[SIGNED_FILE];
  if (b === undefined) throw new Stop("CertificateMissing", `${where} has no ${SIGNED_FILE}`);
  try {
    return opcertFromEnvelope(parseEnvelope(unb64(b), where), where);
  } catch (e) {
    throw new Stop("CertificateUnreadable", (e as Error).message);
  }
}

function kesVkeyIn(staged: V1Secret, where: string): { bytes: Uint8Array; text: string } {
  const text = unb64(staged.data?.[STAGED_FILES.kesVkey] ?? "");
  try {
    return { bytes: keyFromEnvelope(parseEnvelope(text, where), where, KEY_KINDS.kesVerification), text };
  } catch (e) {
    throw new Stop("StagedKeyUnreadable", (e as Error).message);
  }
}

/** The pool's cold verification key: its ConfigMap when the StakePool names one, else the running certificate's. */
function coldKeyOf(ctx: ReconcileContext, ns: string, spec: StakePoolSpec, running: OperationalCertificate) {
  const ref = spec.keys.coldVerificationKeyRef;
  if (!ref) return { bytes: running.coldVkey, name: "the cold key of the running certificate" };
  const where = `ConfigMap ${ref.name}, key ${ref.key}`;
  const text = ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: ref.name })?.data?.[ref.key];
  if (text === undefined) throw new Stop("ColdKeyNotFound", `${where} does not exist`);
  try {
    return { bytes: keyFromEnvelope(parseEnvelope(text, where), where, KEY_KINDS.coldVerification), name: where };
  } catch (e) {
    throw new Stop("ColdKeyUnreadable", (e as Error).message);
  }
}

interface Tracked {
  ns: string;
  owner: Owner;
  rot: KesRotationObject;
  spec: KesRotationSpec;
  poolSpec: StakePoolSpec;
  pool: StakePoolObject;
  clock: SlotClock;
  running: OperationalCertificate;
  runningHash: string;
  obs: RotationObservation;
  persist: () => Promise<void>;
}

/** Auto mode: sign the request with the acknowledged in-cluster cold key, in the operator, into the signed Secret. */
async function autoSign(ctx: ReconcileContext, t: Tracked, r: Rotation, kesVkey: Uint8Array): Promise<void> {
  const signedName = rotationNames.signed(t.owner.name);
  if (await ctx.read<V1Secret>(KIND.Secret, { namespace: t.ns, name: signedName })) return;
  const ref = t.spec.auto!.coldKeySecretRef;
  const where = `Secret ${ref.name}, key ${ref.key}`;
  const secret = await ctx.read<V1Secret>(KIND.Secret, { namespace: t.ns, name: ref.name });
  const b = secret?.data?.[ref.key];
  if (b === undefined) throw new Stop("ColdKeyNotFound", `${where} does not exist (spec.auto.coldKeySecretRef)`);
  let seed: Uint8Array;
  try {
    seed = keyFromEnvelope(parseEnvelope(unb64(b), where), where, KEY_KINDS.coldSigning);
  } catch {
    throw new Stop("ColdKeyUnreadable", `${where} is not a cold signing key text envelope (StakePoolSigningKey)`);
  }
  try {
    const cert = issueOperationalCertificate(seed, kesVkey, r.counter, r.kesPeriod!);
    const text = renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) });
    await ctx.apply(buildSignedSecret(t.owner, t.pool.metadata!.name!, text));
  } finally {
    seed.fill(0);
  }
  await ctx.event(t.rot, "Normal", "OpcertSigned", `Signed issue number ${r.counter} with the in-cluster cold key`);
}

/** One pass over the rotation's steps; each step's record is persisted before the next step begins. */
async function rotate(ctx: ReconcileContext, t: Tracked): Promise<void> {
  const { ns, owner, obs } = t;
  const poolName = t.pool.metadata!.name!;
  let r = obs.rotation;

  if (r?.step === "Swapped" && t.runningHash === r.newKeysHash) {
    for (const [kind, name] of [
      [KIND.Secret, r.stagedSecretName],
      [KIND.Secret, rotationNames.signed(owner.name)],
      [KIND.ConfigMap, rotationNames.request(owner.name)],
    ] as const)
      await ctx.delete(kind, { namespace: ns, name });
    obs.lastRotation = {
      completedAt: obs.now.toISOString(),
      counter: r.counter,
      keysHash: r.newKeysHash,
      ...(r.previousKeysHash ? { previousKeysHash: r.previousKeysHash } : {}),
    };
    obs.rotation = undefined;
    obs.request = undefined;
    await t.persist();
    await ctx.event(
      t.rot,
      "Normal",
      "Rotated",
      `Pool ${poolName} runs key revision ${keyRevisionName(poolName, r.newKeysHash!)} with issue number ${r.counter}; ` +
        `the previous revision ${r.previousKeysHash ? keyRevisionName(poolName, r.previousKeysHash) : "(none)"} is kept for rollback`,
    );
    return;
  }

  if (!r) {
    if (!obs.schedule?.rotationDue) return;
    const other = ctx
      .list<KesRotationObject>(KIND.KesRotation, ns)
      .find(
        (o) =>
          o.metadata?.name !== owner.name &&
          (o.spec as { poolRef?: { name?: string } })?.poolRef?.name === poolName &&
          o.status?.rotation,
      );
    if (other) {
      obs.blocked = {
        reason: "AnotherRotationInFlight",
        message: `KesRotation ${other.metadata!.name} is already rotating pool ${poolName}; this one waits`,
      };
      return;
    }
    const counter = t.running.sequenceNumber + 1;
    r = obs.rotation = {
      step: "Staging",
      counter,
      stagedSecretName: rotationNames.staged(owner.name, counter),
      startedAt: obs.now.toISOString(),
      previousKeysHash: t.runningHash,
    };
    await t.persist();
    await ctx.event(t.rot, "Normal", "RotationStarted", `Renewal time reached: rotating to issue number ${counter}`);
  }

  if (r.step === "Staging") {
    let staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
    if (!staged) {
      staged = await ctx.apply(buildStagedKesSecret(owner, poolName, r.counter));
      await ctx.event(t.rot, "Normal", "KesKeyStaged", `New KES key staged in Secret ${r.stagedSecretName}`);
    }
    const vkey = kesVkeyIn(staged, `Secret ${r.stagedSecretName}, key ${STAGED_FILES.kesVkey}`);
    const kesPeriod = obs.schedule!.currentPeriod;
    const vkeyHash = keyHash(vkey.bytes);
    const cm = buildRequestConfigMap({
      owner,
      pool: poolName,
      kesVkeyText: vkey.text,
      kesVkeyHash: vkeyHash,
      kesPeriod,
      counter: r.counter,
    });
    await ctx.apply(cm);
    r = obs.rotation = { ...r, step: "AwaitingSignature", kesVkeyHash: vkeyHash, kesPeriod };
    obs.request = {
      configMapName: cm.metadata!.name!,
      kesPeriod,
      counter: r.counter,
      createdAt: obs.now.toISOString(),
    };
    await t.persist();
    await ctx.event(
      t.rot,
      "Normal",
      "OpcertRequested",
      `Sign KES key ${vkeyHash} at KES period ${kesPeriod} with issue number ${r.counter}: the commands are in ` +
        `ConfigMap ${cm.metadata!.name}; hand node.cert back as Secret ${rotationNames.signed(owner.name)}`,
    );
  }

  if (r.step === "AwaitingSignature" || r.step === "Verified") {
    const staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
    if (!staged)
      throw new Stop(
        "StagedKeyMissing",
        `Secret ${r.stagedSecretName} (the staged KES key) is gone; delete status.rotation's request by recreating the KesRotation`,
      );
    const vkey = kesVkeyIn(staged, `Secret ${r.stagedSecretName}, key ${STAGED_FILES.kesVkey}`);
    if (t.spec.mode === "Auto") await autoSign(ctx, t, r, vkey.bytes);
    const signedName = rotationNames.signed(owner.name);
    const signed = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: signedName });
    if (!signed) return; // waiting for the person
    const digest = sha256(signed.data?.[SIGNED_FILE] ?? "");
    let verdict: { accepted: boolean; refusal?: string };
    try {
      const cert = certIn(signed.data, `Secret ${signedName}, key ${SIGNED_FILE}`);
      verdict = checkRotation({
        opcert: { cert, name: `Secret ${signedName}, key ${SIGNED_FILE}` },
        stagedKes: { verificationKey: vkey.bytes, name: `the staged KES key (Secret ${r.stagedSecretName})` },
        coldVerificationKey: coldKeyOf(ctx, ns, t.poolSpec, t.running),
        // Fixed when the rotation started, so a restart after the swap does not see its own counter as "used".
        last: { value: r.counter - 1, source: "in the previous certificate" },
        clock: t.clock,
        now: obs.now,
      });
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      verdict = { accepted: false, refusal: `Secret ${signedName} refused, nothing was changed: ${e.message}` };
    }
    if (!verdict.accepted) {
      if (r.signedDigest !== digest || r.refusal !== verdict.refusal) {
        obs.rotation = { ...r, step: "AwaitingSignature", signedDigest: digest, refusal: verdict.refusal! };
        await t.persist();
        await ctx.event(t.rot, "Warning", "CertificateRefused", verdict.refusal!);
      }
      return;
    }
    if (r.step !== "Verified" || r.signedDigest !== digest) {
      const { refusal: _gone, ...rest } = r;
      r = obs.rotation = { ...rest, step: "Verified", signedDigest: digest };
      await t.persist();
      await ctx.event(t.rot, "Normal", "CertificateAccepted", `Secret ${signedName} passed the rotation gate`);
    }
    // Timing: the node does not report its leader schedule yet, so the swap cannot avoid leader slots
    // (docs/kes-rotation.md, "Timing"). The StakePool controller rolls the producer once.
    const revision = await ctx.read<V1Secret>(KIND.Secret, {
      namespace: ns,
      name: keyRevisionName(poolName, t.runningHash),
    });
    const vrf = revision?.data?.[KEY_FILES.vrf];
    if (!vrf) throw new Stop("RevisionUnreadable", `the running key revision has no ${KEY_FILES.vrf}`);
    const data: Record<string, string> = {
      [KEY_FILES.kes]: staged.data![STAGED_FILES.kes]!,
      [KEY_FILES.vrf]: vrf,
      [KEY_FILES.opcert]: signed.data![SIGNED_FILE]!,
      "kes.vkey": b64(vkey.text),
    };
    const userSecret = t.poolSpec.keys.secretRef.name;
    // The StakePool's own gate, run here first so a set it would refuse is never written.
    const coldRef = t.poolSpec.keys.coldVerificationKeyRef;
    const coldText = coldRef
      ? ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: coldRef.name })?.data?.[coldRef.key]
      : undefined;
    const pre = gateKeys({
      secretName: userSecret,
      data,
      ...(coldText && coldRef ? { coldVerificationKey: { text: coldText, name: `ConfigMap ${coldRef.name}` } } : {}),
      ...(t.poolSpec.poolId ? { expectedPoolId: t.poolSpec.poolId } : {}),
      clock: t.clock,
      at: obs.now,
    });
    if (!pre.passed)
      throw new Stop("NewKeySetRefused", `The new key set fails the pool's gate: ${pre.failure!.message}`);
    await ctx.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: userSecret, namespace: ns }, data });
    r = obs.rotation = { ...r, step: "Swapped", newKeysHash: pre.keysHash! };
    await t.persist();
    await ctx.event(
      t.rot,
      "Normal",
      "KeySetWritten",
      `Wrote the new key set ${pre.keysHash!.slice(0, 8)} to Secret ${userSecret}; StakePool ${poolName} rolls onto it`,
    );
  }

  if (r.step === "Swapped" && t.runningHash !== r.newKeysHash) {
    const keysValid = t.pool.status?.conditions?.find((c) => c.type === "KeysValid");
    if (keysValid?.status === "False")
      obs.blocked = {
        reason: "NewKeySetRefused",
        message: `StakePool ${poolName} refused the new key set (${keysValid.message}); the producer keeps revision ${t.runningHash.slice(0, 8)}`,
      };
  }
}

async function reconcile(
  ctx: ReconcileContext,
  key: ObjectKey,
  opts: {
    pollMs: number;
    metrics: KesMetrics;
    webhookTimeoutMs?: number;
    byPool: Map<string, Set<string>>;
    written: Map<string, { rv: string; status: KesRotationStatus }>;
  },
  seen: Map<string, KesSeries>,
): Promise<ReconcileResult> {
  const id = `${key.namespace}/${key.name}`;
  const rot = ctx.get<KesRotationObject>(KIND.KesRotation, key);
  if (!rot || rot.metadata?.deletionTimestamp) {
    const s = seen.get(id);
    if (s) opts.metrics.forget(s);
    seen.delete(id);
    opts.written.delete(id);
    for (const set of opts.byPool.values()) set.delete(id);
    return {};
  }
  const md = rot.metadata!;
  const ns = key.namespace;
  // The informer may not have caught up with this controller's last status write yet; a step or reminder must
  // never be redone from a stale copy (a second webhook call), so the status we last wrote wins over an older one.
  const mine = opts.written.get(id);
  const status = mine && rvNotNewer(md.resourceVersion, mine.rv) ? mine.status : rot.status;
  const owner: Owner = {
    apiVersion: rot.apiVersion!,
    kind: "KesRotation",
    name: md.name!,
    namespace: ns,
    uid: md.uid!,
  };
  const now = ctx.now();
  const obs: RotationObservation = {
    generation: md.generation,
    previous: status,
    now,
    mode: "Assisted",
    suspended: false,
    ...(status?.rotation ? { rotation: status.rotation } : {}),
    ...(status?.request ? { request: status.request } : {}),
    ...(status?.lastRotation ? { lastRotation: status.lastRotation } : {}),
  };
  const persist = async () => {
    const written = await ctx.applyStatus({
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      metadata: { name: owner.name, namespace: ns },
      status: kesRotationStatus(obs),
    } as KubernetesObject);
    const rv = written.metadata?.resourceVersion;
    if (rv) opts.written.set(id, { rv, status: (written as KesRotationObject).status ?? {} });
  };
  const done = async (): Promise<ReconcileResult> => {
    await persist();
    const next = obs.schedule?.nextChangeAt;
    const untilChange = next ? Math.max(1, next.getTime() - ctx.now().getTime()) : opts.pollMs;
    return { requeueAfterMs: Math.min(opts.pollMs, untilChange) };
  };

  const parsed = kesRotationSpec.safeParse(rot.spec);
  if (!parsed.success) {
    obs.problem = {
      reason: "SpecInvalid",
      message: `spec is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    };
    return done();
  }
  const spec = parsed.data;
  obs.mode = spec.mode;
  obs.suspended = spec.suspend;
  const poolName = spec.poolRef.name;
  for (const set of opts.byPool.values()) set.delete(id);
  const poolId = `${ns}/${poolName}`;
  if (!opts.byPool.has(poolId)) opts.byPool.set(poolId, new Set());
  opts.byPool.get(poolId)!.add(id);
  const series: KesSeries = { namespace: ns, name: owner.name, pool: poolName };
  seen.set(id, series);

  try {
    const pool = ctx.get<StakePoolObject>(KIND.StakePool, { namespace: ns, name: poolName });
    if (!pool) throw new Stop("PoolNotFound", `StakePool ${poolName} does not exist`);
    const poolParsed = stakePoolSpec.safeParse(pool.spec);
    if (!poolParsed.success) throw new Stop("PoolSpecInvalid", `StakePool ${poolName} has an invalid spec`);
    const poolSpec = poolParsed.data;
    const clock = clockFor(ctx, ns, poolSpec);
    if (!clock) throw new Stop("GenesisUnavailable", `The genesis of StakePool ${poolName}'s network is not readable`);
    const runningHash = pool.status?.producer?.keysHash;
    if (!runningHash)
      throw new Stop("WaitingForKeys", `StakePool ${poolName} runs no key set yet (none has passed its gate)`);
    const revisionName = keyRevisionName(poolName, runningHash);
    const revision = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: revisionName });
    if (!revision) throw new Stop("RevisionNotFound", `Key revision Secret ${revisionName} does not exist`);
    const running = certIn(revision.data, `Secret ${revisionName}, key ${SIGNED_FILE}`);
    obs.counter = running.sequenceNumber;
    const schedule = kesSchedule({
      clock,
      opcert: running,
      now,
      renewBefore: parseRenewBefore(spec.renewBefore),
      reminderDays: spec.reminderDays,
    });
    obs.schedule = schedule;

    // Reminders: recorded before the webhook is tried, so a restart never sends a threshold twice.
    const prior = status?.reminder?.counter === running.sequenceNumber ? status.reminder : undefined;
    if (prior) obs.reminder = prior;
    const days = reminderToSend(schedule, prior?.days);
    const body = (d: number) => ({
      kind: "KesRotationReminder" as const,
      namespace: ns,
      rotation: owner.name,
      pool: poolName,
      thresholdDays: d,
      expiresAt: schedule.expiresAt.toISOString(),
      renewalTime: schedule.renewalTime.toISOString(),
      periodsLeft: schedule.endPeriod - schedule.currentPeriod,
      counter: running.sequenceNumber,
      message:
        `The KES key of pool ${poolName} expires at ${schedule.expiresAt.toISOString()} ` +
        `(${d} day${d === 1 ? "" : "s"} threshold, ${schedule.periodsRemaining} KES periods left); ` +
        (spec.mode === "MonitorOnly"
          ? "rotate it by hand (docs/kes-rotation.md section 5)"
          : `renewal is due at ${schedule.renewalTime.toISOString()}`),
    });
    if (days !== undefined) {
      obs.reminder = {
        days,
        counter: running.sequenceNumber,
        sentAt: now.toISOString(),
        webhook: spec.webhook ? "Pending" : "NotConfigured",
      };
      await persist();
      await ctx.event(rot, "Warning", "KesExpiringSoon", body(days).message);
    }
    if (obs.reminder?.webhook === "Pending" && spec.webhook) {
      const ref = spec.webhook.urlSecretRef;
      const s = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: ref.name });
      const url = s?.data?.[ref.key];
      const outcome = url
        ? await postWebhook(unb64(url), body(obs.reminder.days), opts.webhookTimeoutMs)
        : ({ ok: false, error: `Secret ${ref.name}, key ${ref.key} does not exist` } as const);
      const { webhookError: _old, ...rest } = obs.reminder;
      obs.reminder = {
        ...rest,
        webhookAttempts: (obs.reminder.webhookAttempts ?? 0) + 1,
        ...(outcome.ok ? { webhook: "Delivered" as const } : { webhookError: outcome.error }),
      };
      if (!outcome.ok) ctx.log.warn({ error: outcome.error }, "reminder webhook failed; retried next reconcile");
    }

    if (spec.mode !== "MonitorOnly" && !spec.suspend) {
      const t: Tracked = { ns, owner, rot, spec, poolSpec, pool, clock, running, runningHash, obs, persist };
      await rotate(ctx, t);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (obs.schedule) obs.blocked = { reason: e.reason, message: e.message };
    else obs.problem = { reason: e.reason, message: e.message };
  }
  const ready = kesRotationStatus(obs).conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown";
  opts.metrics.observe(series, obs.problem ? undefined : obs.schedule, ready);
  return done();
}

/** Where the gauges go when no registry is given; main.ts serves them on the operator's /metrics. */
export const kesMetricsRegistry = new Registry();

export function kesRotationController(opts: KesRotationControllerOptions = {}): Controller {
  const pollMs = opts.pollMs ?? 60_000;
  const metrics = registerKesMetrics(opts.registry ?? kesMetricsRegistry);
  const byPool = new Map<string, Set<string>>();
  const seen = new Map<string, KesSeries>();
  const written = new Map<string, { rv: string; status: KesRotationStatus }>();
  return {
    name: KESROTATION_CONTROLLER,
    primary: KIND.KesRotation,
    owns: [KIND.ConfigMap],
    watches: [
      {
        // The StakePool's revision moving (a swap finished, a person rotated by hand) changes the schedule.
        kind: KIND.StakePool,
        map: (obj) =>
          [...(byPool.get(`${obj.metadata?.namespace}/${obj.metadata?.name}`) ?? [])].map((id) => {
            const [namespace, name] = id.split("/") as [string, string];
            return { namespace, name };
          }),
      },
    ],
    reconcile: (ctx, key) => {
      return reconcile(
        ctx,
        key,
        {
          pollMs,
          metrics,
          byPool,
          written,
          ...(opts.webhookTimeoutMs !== undefined ? { webhookTimeoutMs: opts.webhookTimeoutMs } : {}),
        },
        seen,
      );
    },
  };
}
