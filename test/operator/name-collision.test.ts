// A StakePool and a MultikeyGroup of one name in one namespace would share `<name>-producer` and `<name>-relay`:
// the older keeps the name, the younger is refused with NameTaken and writes nothing but its status. The real
// controllers reconcile against an in-memory context (test/helpers/memory-context.ts); the keys are not the point
// here, so the Secrets they name do not exist and the gate refuses them (which changes no object names).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { multikeyGroupController } from "../../src/operator/controllers/multikeygroup.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { KIND } from "../../src/operator/kind-refs.ts";
import { MemoryContext } from "../helpers/memory-context.ts";

type WithStatus = KubernetesObject & {
  status?: { phase?: string; conditions?: { type: string; status: string; reason: string; message: string }[] };
};
const NS = "names";

function seed(ctx: MemoryContext, poolFirst: boolean) {
  const pool = {
    apiVersion: KIND.StakePool.apiVersion,
    kind: "StakePool",
    metadata: { name: "x", namespace: NS },
    spec: { network: { name: "preprod" }, keys: { secretRef: { name: "x-keys" } } },
  };
  const group = {
    apiVersion: KIND.MultikeyGroup.apiVersion,
    kind: "MultikeyGroup",
    metadata: { name: "x", namespace: NS },
    spec: { network: { name: "preprod" }, pools: [{ name: "a", keys: { secretRef: { name: "a-keys" } } }] },
  };
  const [first, second] = poolFirst ? [pool, group] : [group, pool];
  ctx.put({ ...first, metadata: { ...first.metadata, creationTimestamp: new Date("2026-01-01T00:00:00Z") } });
  ctx.put({ ...second, metadata: { ...second.metadata, creationTimestamp: new Date("2026-02-01T00:00:00Z") } });
}

for (const poolFirst of [true, false]) {
  const [older, younger] = poolFirst ? ["StakePool", "MultikeyGroup"] : ["MultikeyGroup", "StakePool"];
  test(`an older ${older} keeps the name; the younger ${younger} writes only its NameTaken status`, async () => {
    const ctx = new MemoryContext(new Date("2026-03-01T00:00:00Z"));
    seed(ctx, poolFirst);
    const controllers = {
      StakePool: stakePoolController({ registry: new Registry(), scrape: false }),
      MultikeyGroup: multikeyGroupController({ scrape: false }),
    };
    await controllers[younger as keyof typeof controllers].reconcile(ctx, { namespace: NS, name: "x" });
    assert.deepEqual(
      ctx.writes.map((w) => `${w.verb} ${w.kind}`),
      [`apply-status ${younger}`],
      "the younger writes nothing but its own status",
    );
    const refused = ctx.get<WithStatus>(KIND[younger as "StakePool"], { namespace: NS, name: "x" })!.status!;
    const ready = refused.conditions?.find((c) => c.type === "Ready");
    assert.deepEqual([refused.phase, ready?.status, ready?.reason], ["Degraded", "False", "NameTaken"]);
    assert.match(ready!.message, new RegExp(`${older} ${NS}/x has this name and is older`));
    assert.deepEqual(
      ctx.events.map((e) => [e.kind, e.reason]),
      [[younger, "NameTaken"]],
    );

    // The older one goes ahead and writes its objects under the shared names.
    await controllers[older as keyof typeof controllers].reconcile(ctx, { namespace: NS, name: "x" });
    assert.ok(ctx.writes.some((w) => w.verb === "apply" && w.kind === "NetworkPolicy" && w.name === "x-producer"));
    const olderStatus = ctx.get<WithStatus>(KIND[older as "StakePool"], { namespace: NS, name: "x" })!.status!;
    assert.notEqual(olderStatus.conditions?.find((c) => c.type === "Ready")?.reason, "NameTaken");
  });
}
