// The CRDs on a real kube-apiserver + etcd: accepted and Established, good objects defaulted by the server
// exactly as Zod defaults them, bad specs refused at admission with readable messages, immutable fields kept,
// and the status and scale subresources working.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiextensionsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { z } from "zod";
import { GROUP, VERSION } from "../../src/api/common.ts";
import { kesRotationSpec } from "../../src/api/kesrotation.ts";
import { multikeyGroupSpec } from "../../src/api/multikeygroup.ts";
import { relaySpec } from "../../src/api/relay.ts";
import { stakePoolSpec } from "../../src/api/stakepool.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { BAD, GOOD, KINDS_BY_NAME, type KindName } from "./crd-cases.ts";
import { refusal } from "../helpers/refusal.ts";

const NS = "default";
const ZOD: Record<KindName, z.ZodType> = {
  StakePool: stakePoolSpec,
  Relay: relaySpec,
  KesRotation: kesRotationSpec,
  MultikeyGroup: multikeyGroupSpec,
};

type Obj = { metadata: { name: string; generation?: number; resourceVersion?: string }; spec: Record<string, unknown> };

let cp: ControlPlane;
let api: CustomObjectsApi;

function body(kind: KindName, name: string, spec: Record<string, unknown>) {
  return { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace: NS }, spec };
}

function target(kind: KindName) {
  return { group: GROUP, version: VERSION, namespace: NS, plural: KINDS_BY_NAME[kind].plural };
}

async function create(kind: KindName, name: string, spec: Record<string, unknown>, dryRun = false): Promise<Obj> {
  return (await api.createNamespacedCustomObject({
    ...target(kind),
    body: body(kind, name, spec),
    ...(dryRun ? { dryRun: "All" } : {}),
  })) as Obj;
}

before(
  async () => {
    cp = await startControlPlane();
    api = cp.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(cp.kc);
  },
  { timeout: 55 * 60_000 }, // a cold machine builds the binaries first
);

after(async () => {
  await cp?.stop();
});

test("all four CRDs are accepted and Established, with their short names and category", async () => {
  const ext = cp.kc.makeApiClient(ApiextensionsV1Api);
  const list = await ext.listCustomResourceDefinition();
  const ours = list.items.filter((c) => c.spec.group === GROUP);
  assert.deepEqual(ours.map((c) => c.metadata?.name).sort(), [
    "kesrotations.poolfleet.io",
    "multikeygroups.poolfleet.io",
    "relays.poolfleet.io",
    "stakepools.poolfleet.io",
  ]);
  for (const c of ours) {
    const cond = (t: string) => c.status?.conditions?.find((x) => x.type === t)?.status;
    assert.equal(cond("Established"), "True", c.metadata?.name);
    assert.equal(cond("NamesAccepted"), "True", c.metadata?.name);
    assert.deepEqual(c.spec.names.categories, ["poolfleet"]);
  }
});

describe("good objects are stored with the server's defaults, which are Zod's defaults", () => {
  for (const kind of Object.keys(GOOD) as KindName[]) {
    test(kind, async () => {
      const name = `good-${kind.toLowerCase()}`;
      const stored = await create(kind, name, GOOD[kind]);
      assert.equal(stored.metadata.generation, 1);
      assert.deepEqual(stored.spec, ZOD[kind].parse(GOOD[kind]), "server defaults differ from Zod's");
    });
  }

  test("the defaults a person relies on are there", async () => {
    const got = (kind: KindName) =>
      api.getNamespacedCustomObject({ ...target(kind), name: `good-${kind.toLowerCase()}` }) as Promise<Obj>;
    const pool = (await got("StakePool")).spec;
    assert.deepEqual(pool.relays, { replicas: 2 });
    assert.equal((pool.image as { tag: string }).tag, "0.1.0");
    assert.equal(pool.port, 3001);
    assert.equal(pool.paused, false);
    const kes = (await got("KesRotation")).spec;
    assert.equal(kes.mode, "Assisted");
    assert.equal(kes.renewBefore, "14d");
    assert.deepEqual(kes.reminderDays, [14, 7, 3, 1]);
    const group = (await got("MultikeyGroup")).spec;
    assert.deepEqual(group.redundancy, { level: 1, mainGroupRef: { name: "main" }, takeoverAfterMissedSlots: 3 });
    const relay = (await got("Relay")).spec;
    assert.deepEqual(relay.publicPeers, [{ address: "preprod-node.play.dev.cardano.org", port: 3001 }]);
  });

  test("Auto mode with a cold key and the acknowledgement is accepted", async () => {
    const spec = {
      poolRef: { name: "pool-a" },
      mode: "Auto",
      renewBefore: 8,
      auto: { coldKeySecretRef: { name: "pool-a-cold" }, acknowledgeColdKeyInCluster: true },
    };
    const stored = await create("KesRotation", "auto", spec, true);
    assert.deepEqual(stored.spec, kesRotationSpec.parse(spec));
  });
});

describe(`${BAD.length} bad specs are refused at admission with a readable message`, () => {
  for (const c of BAD) {
    test(`${c.kind}: ${c.why}`, async () => {
      const { code, message } = await refusal(create(c.kind, c.name ?? "bad", c.spec, true));
      assert.equal(code, 422, message);
      for (const part of c.message) assert.ok(message.includes(part), `missing ${JSON.stringify(part)} in: ${message}`);
    });
  }
});

describe("immutable fields", () => {
  async function replaced(kind: KindName, name: string, change: (spec: Record<string, unknown>) => void) {
    const current = (await api.getNamespacedCustomObject({ ...target(kind), name })) as Obj;
    const next = structuredClone(current);
    change(next.spec);
    return refusal(api.replaceNamespacedCustomObject({ ...target(kind), name, body: next }));
  }

  test("a StakePool cannot move to another network", async () => {
    const { code, message } = await replaced("StakePool", "good-stakepool", (s) => {
      s.network = { name: "mainnet" };
    });
    assert.equal(code, 422);
    assert.match(message, /spec\.network.*network is immutable/);
  });

  test("a KesRotation cannot switch pools", async () => {
    const { code, message } = await replaced("KesRotation", "good-kesrotation", (s) => {
      s.poolRef = { name: "pool-b" };
    });
    assert.equal(code, 422);
    assert.match(message, /spec\.poolRef.*poolRef is immutable/);
  });
});

describe("subresources", () => {
  const status = { phase: "Forging", blocksForged: 3, tip: { slot: 1234, blockNo: 56 }, kes: { periodsLeft: 40 } };

  test("status is written only through /status, and a spec write leaves it alone", async () => {
    const name = "status-pool";
    const created = await create("StakePool", name, { ...GOOD.StakePool });
    const patched = (await api.patchNamespacedCustomObjectStatus(
      { ...target("StakePool"), name, body: { status } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj & { status: unknown };
    assert.deepEqual(patched.status, status);
    assert.equal(patched.metadata.generation, created.metadata.generation, "a status write bumped generation");

    // a spec write that also carries a status: the spec changes, the status does not
    const next = structuredClone(patched) as Obj & { status: unknown };
    next.spec.paused = true;
    next.status = { phase: "Degraded" };
    const replaced = (await api.replaceNamespacedCustomObject({ ...target("StakePool"), name, body: next })) as Obj & {
      status: unknown;
    };
    assert.equal(replaced.spec.paused, true);
    assert.equal(replaced.metadata.generation, 2);
    assert.deepEqual(replaced.status, status);

    // a status write that carries a spec: the status changes, the spec does not
    const viaStatus = (await api.patchNamespacedCustomObjectStatus(
      { ...target("StakePool"), name, body: { spec: { paused: false }, status: { phase: "Paused" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as Obj & { status: { phase: string } };
    assert.equal(viaStatus.spec.paused, true);
    assert.equal(viaStatus.status.phase, "Paused");
  });

  test("status is validated too", async () => {
    const { code, message } = await refusal(
      api.patchNamespacedCustomObjectStatus(
        { ...target("StakePool"), name: "status-pool", body: { status: { phase: "Sleeping" } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    assert.equal(code, 422);
    assert.ok(message.includes('status.phase: Unsupported value: "Sleeping"'), message);
  });

  test("a Relay scales through the scale subresource", async () => {
    await create("Relay", "scaled", { network: { name: "preview" } });
    const scale = (await api.patchNamespacedCustomObjectScale(
      { ...target("Relay"), name: "scaled", body: { spec: { replicas: 4 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as { spec: { replicas: number } };
    assert.equal(scale.spec.replicas, 4);
    const relay = (await api.getNamespacedCustomObject({ ...target("Relay"), name: "scaled" })) as Obj;
    assert.equal(relay.spec.replicas, 4);
  });
});
