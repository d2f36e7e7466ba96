// When a drain may evict a producer (controllers/producer-disruption.ts): the pure policy at chosen times, the
// PodDisruptionBudget it shapes, and the StakePool and MultikeyGroup controllers asking a producer for its leader
// schedule.
// The producer's answer is injected through the controller's fetch option: a leader slot at a chosen minute is a
// situation a real node cannot be made to produce on demand (the real schedule is tested in test/node/).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { KubernetesObject, V1PodDisruptionBudget, V1StatefulSet } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate } from "../../src/formats/opcert.ts";
import { producerDisruption } from "../../src/operator/controllers/producer-disruption.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { multikeyGroupController } from "../../src/operator/controllers/multikeygroup.ts";
import type { MultikeyGroupStatus } from "../../src/api/multikeygroup.ts";
import { KIND } from "../../src/operator/kind-refs.ts";
import { networkClock } from "../../src/operator/networks.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";
import { MemoryContext } from "../helpers/memory-context.ts";

const NOW = new Date("2026-12-07T12:00:00Z");
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

describe("producerDisruption", () => {
  const decide = (view: Parameters<typeof producerDisruption>[0]["view"], ready = true) =>
    producerDisruption({ producerReady: ready, view, now: NOW, marginMinutes: 10 });

  test("open while no leader slot is within the margin; it says when to look again", () => {
    const none = decide({ known: true });
    assert.deepEqual([none.allowed, none.reason], [true, "NoLeaderSlotNear"]);
    const later = decide({ known: true, next: { slot: "900", at: at(15) } });
    assert.deepEqual([later.allowed, later.reason], [true, "NoLeaderSlotNear"]);
    assert.equal(later.recheckInMs, 5 * 60_000, "closes when the slot enters the margin");
  });

  test("closed within the margin, and until the slot has passed", () => {
    const near = decide({ known: true, next: { slot: "900", at: at(9) } });
    assert.deepEqual([near.allowed, near.reason], [false, "LeaderSlotNear"]);
    assert.match(near.message, /slot 900/);
    assert.equal(near.recheckInMs, 9 * 60_000 + 1000);
    assert.equal(decide({ known: true, next: { slot: "900", at: at(10) } }).allowed, false, "the margin is inclusive");
  });

  test("closed when the schedule cannot be read; open when the producer is not ready", () => {
    const unknown = decide({ known: false, why: "connection refused" });
    assert.deepEqual([unknown.allowed, unknown.reason], [false, "ScheduleUnknown"]);
    assert.match(unknown.message, /connection refused/);
    assert.equal(decide(undefined, false).allowed, true);
  });
});

type Pool = KubernetesObject & { status?: StakePoolStatus };
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A key Secret `name` in namespace d holding a key set that passes the gate at NOW. */
function keySecret(ctx: MemoryContext, name: string) {
  const clock = networkClock({ name: "preprod" });
  const pool = newPool();
  const kes = newKes();
  const cert = issue(pool, kes.vkey, 0, clock.kesPeriodOfSlot(clock.slotAt(NOW.getTime())));
  const text = (kind: (typeof KEY_KINDS)[keyof typeof KEY_KINDS], bytes: Uint8Array) =>
    renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
  ctx.put({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "d" },
    data: {
      "kes.skey": b64(text(KEY_KINDS.kesSigning, kes.bytes)),
      "vrf.skey": b64(text(KEY_KINDS.vrfSigning, newVrf())),
      "node.cert": b64(
        renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) }),
      ),
    },
  });
}

/** A StakePool with a key set that passes, and its producer StatefulSet reported ready at 127.0.0.1. */
function readyPool(ctx: MemoryContext) {
  keySecret(ctx, "p-keys");
  ctx.put<Pool>({
    apiVersion: KIND.StakePool.apiVersion,
    kind: "StakePool",
    metadata: { name: "p", namespace: "d" },
    spec: {
      network: { name: "preprod" },
      keys: { secretRef: { name: "p-keys" } },
      disruption: { leaderSlotMarginMinutes: 10 },
    },
  } as Pool);
  ctx.put({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p-producer-0", namespace: "d" },
    status: { podIP: "127.0.0.1" },
  });
}

describe("the StakePool controller opens the PodDisruptionBudget only away from leader slots", () => {
  test("not ready: open; ready with a slot in 5 minutes: closed; in 30 minutes: open; unreadable: closed", async () => {
    const ctx = new MemoryContext(NOW);
    readyPool(ctx);
    let answer: () => Response = () => Response.json({ slots: [] });
    const asked: string[] = [];
    const controller = stakePoolController({
      registry: new Registry(),
      fetch: async (url) => {
        asked.push(String(url));
        if (String(url).includes("/metrics")) return new Response("poolfleet_forging_enabled 1\n");
        return answer();
      },
    });
    const reconcile = () => controller.reconcile(ctx, { namespace: "d", name: "p" });
    const pdb = () => ctx.get<V1PodDisruptionBudget>(KIND.PodDisruptionBudget, { namespace: "d", name: "p-producer" })!;
    const allowed = () =>
      ctx
        .get<Pool>(KIND.StakePool, { namespace: "d", name: "p" })!
        .status?.conditions?.find((c) => c.type === "DisruptionAllowed");

    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 0, "no ready producer: nothing to protect");
    assert.equal(allowed()?.reason, "ProducerNotReady");

    // The producer is ready (the test plays the StatefulSet controller).
    const sts = ctx.get<V1StatefulSet>(KIND.StatefulSet, { namespace: "d", name: "p-producer" })!;
    ctx.put({ ...sts, status: { readyReplicas: 1, replicas: 1, observedGeneration: sts.metadata!.generation } });

    answer = () => Response.json({ slots: [{ slot: "900", at: at(5) }] });
    const near = await reconcile();
    assert.equal(pdb().spec?.minAvailable, 1);
    assert.deepEqual([allowed()?.status, allowed()?.reason], ["False", "LeaderSlotNear"]);
    assert.ok(near.requeueAfterMs! <= 5 * 60_000 + 1000, "looked at again once the slot has passed");
    assert.ok(
      asked.some((u) => u.includes("/api/leader-schedule?minutes=20")),
      "asks twice the margin ahead",
    );

    answer = () => Response.json({ slots: [{ slot: "1800", at: at(30) }] });
    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 0);
    assert.deepEqual([allowed()?.status, allowed()?.reason], ["True", "NoLeaderSlotNear"]);

    answer = () => new Response("busy", { status: 503 });
    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 1, "a schedule it cannot read keeps evictions waiting");
    assert.equal(allowed()?.reason, "ScheduleUnknown");
  });
});

describe("the MultikeyGroup controller opens its producer's budget only away from every pool's leader slots", () => {
  test("a slot of either pool within the margin closes it; none near opens it", async () => {
    const ctx = new MemoryContext(NOW);
    keySecret(ctx, "a-keys");
    keySecret(ctx, "b-keys");
    ctx.put({
      apiVersion: KIND.MultikeyGroup.apiVersion,
      kind: "MultikeyGroup",
      metadata: { name: "g", namespace: "d" },
      spec: {
        network: { name: "preprod" },
        pools: [
          { name: "a", keys: { secretRef: { name: "a-keys" } } },
          { name: "b", keys: { secretRef: { name: "b-keys" } } },
        ],
        disruption: { leaderSlotMarginMinutes: 10 },
      },
    });
    ctx.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "g-producer-0", namespace: "d" },
      status: { podIP: "127.0.0.1" },
    });
    let answer: () => Response = () => Response.json({ slots: [] });
    const controller = multikeyGroupController({
      fetch: async (url) => (String(url).includes("/metrics") ? new Response("") : answer()),
    });
    const reconcile = () => controller.reconcile(ctx, { namespace: "d", name: "g" });
    const pdb = () => ctx.get<V1PodDisruptionBudget>(KIND.PodDisruptionBudget, { namespace: "d", name: "g-producer" })!;
    const allowed = () =>
      ctx
        .get<KubernetesObject & { status?: MultikeyGroupStatus }>(KIND.MultikeyGroup, { namespace: "d", name: "g" })!
        .status?.conditions?.find((c) => c.type === "DisruptionAllowed");

    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 0, "no ready producer: nothing to protect");
    const sts = ctx.get<V1StatefulSet>(KIND.StatefulSet, { namespace: "d", name: "g-producer" })!;
    ctx.put({ ...sts, status: { readyReplicas: 1, replicas: 1, observedGeneration: sts.metadata!.generation } });

    // The group node's answer merges its pools' slots (forger.ts): pool b's comes first.
    answer = () =>
      Response.json({
        slots: [
          { slot: "900", at: at(5), pool: "g-1" },
          { slot: "1800", at: at(30), pool: "g-0" },
        ],
      });
    const near = await reconcile();
    assert.equal(pdb().spec?.minAvailable, 1);
    assert.deepEqual([allowed()?.status, allowed()?.reason], ["False", "LeaderSlotNear"]);
    assert.ok(near.requeueAfterMs! <= 5 * 60_000 + 1000);

    answer = () => Response.json({ slots: [{ slot: "1800", at: at(30), pool: "g-0" }] });
    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 0);
    assert.deepEqual([allowed()?.status, allowed()?.reason], ["True", "NoLeaderSlotNear"]);

    answer = () => new Response("busy", { status: 503 });
    await reconcile();
    assert.equal(pdb().spec?.minAvailable, 1, "a schedule it cannot read keeps evictions waiting");
  });
});
