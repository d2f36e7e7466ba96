// Crash-only for the MultikeyGroup controller (issue 16): on a real kube-apiserver, an operator killed right after
// each of its writes of a 3-pool group's reconcile in turn, then a fresh operator started, always converges to one
// producer StatefulSet (one replica) whose bundle holds each pool exactly once, every key revision it could have
// mounted passes the gate, and the converged group is left alone (a further reconcile writes nothing).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { MultikeyGroupStatus } from "../../src/api/multikeygroup.ts";
import type { KubeApi } from "../../src/kube/client.ts";
import { bundleContents } from "../../src/operator/builders/group-producer.ts";
import { gateKeys } from "../../src/keys/secret-gate.ts";
import { multikeyGroupController } from "../../src/operator/controllers/multikeygroup.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { dyingApi, writesIn } from "../helpers/dying-api.ts";
import { waitWithin } from "../helpers/wait.ts";
import { poolKeys } from "./fixtures/pool-keys.ts";

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let manager: Manager | undefined;
const waitFor = waitWithin(60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POOLS = ["a", "b", "c"];

type Group = KubernetesObject & { status?: MultikeyGroupStatus };

/** The real client, counting this namespace's writes; with `dieAfter`, every write past it fails (dying-api.ts). */
const counting = (ns: string, dieAfter = Infinity) => dyingApi(cp.kc, writesIn(ns), dieAfter);

async function startManager(api: KubeApi): Promise<void> {
  const redactor = new SecretRedactor();
  manager = new Manager({
    kc: cp.kc,
    controllers: [multikeyGroupController({ pollMs: 200, scrape: false }), relayController()],
    log: operatorLogger("warn", redactor),
    redactor,
    api,
    queue: { backoffBaseMs: 50, backoffMaxMs: 500 },
  });
  await manager.start();
}

async function stopManager(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}

async function createGroup(ns: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  for (const p of POOLS)
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: `g-${p}-src`, namespace: ns }, data: poolKeys().keySet(0) },
    });
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "multikeygroups",
    namespace: ns,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "MultikeyGroup",
      metadata: { name: "g", namespace: ns },
      spec: {
        network: { name: "preprod" },
        pools: POOLS.map((p) => ({ name: p, keys: { secretRef: { name: `g-${p}-src` } } })),
      },
    },
  });
}

/**
 * The group's producer StatefulSets, the pools its bundle volume mounts and the revisions its bundle Secret holds
 * (with the files it holds for each), once all three pools are in both.
 */
async function converged(ns: string) {
  const group = (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "multikeygroups",
    namespace: ns,
    name: "g",
  })) as Group;
  if (group.status?.poolCount !== POOLS.length || !group.status.pools?.every((p) => p.keysValid)) return undefined;
  const sets = (await apps.listNamespacedStatefulSet({ namespace: ns })).items.filter((s) =>
    s.metadata!.name!.endsWith("-producer"),
  );
  const items = sets[0]?.spec?.template.spec?.volumes?.find((v) => v.name === "keys")?.secret?.items ?? [];
  const mounted = [...new Set(items.map((i) => i.path.split("/")[0]!))].sort();
  const secret = await core.readNamespacedSecret({ namespace: ns, name: "g-producer-keys" }).catch(() => undefined);
  const held = bundleContents(secret);
  return mounted.length === POOLS.length && held.size === POOLS.length ? { sets, mounted, held } : undefined;
}

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    apps = cp.kc.makeApiClient(AppsV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(cp.kc);
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  await stopManager();
  await cp?.stop();
});

describe("a MultikeyGroup's operator killed at every write", () => {
  test("every time: one producer, each pool once in its bundle, every revision passes the gate, then no writes", async (t) => {
    // A clean run first, counting the writes a 3-pool group takes until it has converged.
    const clean = counting("mkg-k0");
    await startManager(clean.api);
    await createGroup("mkg-k0");
    await waitFor("the clean group to converge", () => converged("mkg-k0"));
    await sleep(500);
    await stopManager();
    clean.close();
    const steps = clean.seen.writes;
    assert.ok(steps >= 10, `a group's reconcile takes many writes (${steps})`);

    const stride = Math.max(1, Math.ceil(steps / 16)); // bounded: at most 16 kill points, spread over the run
    t.diagnostic(
      `a clean 3-pool group took ${steps} writes; killing after every ${stride === 1 ? "" : `${stride}th `}one`,
    );
    for (let kill = 1; kill < steps; kill += stride) {
      const ns = `mkg-k${kill}`;
      const dying = counting(ns, kill);
      await startManager(dying.api);
      await createGroup(ns);
      await waitFor(`the operator to reach write ${kill}`, () => (dying.seen.writes >= kill ? true : undefined));
      await sleep(200);
      await stopManager();
      dying.close();

      const after = counting(ns);
      await startManager(after.api);
      const done = await waitFor(`the group in ${ns} to converge`, () => converged(ns));
      assert.equal(done.sets.length, 1, `killed after write ${kill}: one producer StatefulSet`);
      assert.equal(done.sets[0]!.spec!.replicas, 1, `killed after write ${kill}: one replica`);
      assert.deepEqual(done.mounted, [...POOLS].sort(), `killed after write ${kill}: each pool exactly once mounted`);
      for (const [pool, held] of done.held) {
        assert.match(held.secretName, new RegExp(`^g-${pool}-keys-[0-9a-f]{8}$`));
        const rev = await core.readNamespacedSecret({ namespace: ns, name: held.secretName });
        assert.ok(gateKeys({ secretName: held.secretName, data: rev.data, at: new Date() }).passed, `${pool} passes`);
        assert.deepEqual(held.data, rev.data, `killed after write ${kill}: ${pool}'s files are its revision's`);
      }
      // Converged means left alone: a second look writes nothing (the poll runs every 200 ms).
      const before = after.seen.writes;
      await sleep(1500);
      assert.equal(
        after.seen.writes,
        before,
        `killed after write ${kill}: the converged group is not written again (${after.seen.paths.slice(before).join(", ")})`,
      );
      await stopManager();
      after.close();
    }
  });
});
