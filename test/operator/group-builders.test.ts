// The MultikeyGroup's pure parts: the group producer's bundle volume and command line, the node's display names,
// the revision names, the per-pool series read from the node's own metrics registry, the claim order, and the
// status a set of observations gives.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { multikeyGroupSpec } from "../../src/api/multikeygroup.ts";
import { createMetrics } from "../../src/node/metrics.ts";
import {
  BUNDLE_REVISIONS_ANNOTATION,
  bundleContents,
  bundleDisplayNames,
  bundleHash,
  buildBundleSecret,
  buildGroupProducer,
} from "../../src/operator/builders/group-producer.ts";
import {
  buildProducerRbac,
  PRODUCER_LEASE_RULES,
  producerServiceAccountName,
} from "../../src/operator/builders/producer-rbac.ts";
import { multikeyGroupStatus } from "../../src/operator/controllers/multikeygroup-status.ts";
import { type Claimant, compareClaims } from "../../src/operator/controllers/pool-claims.ts";
import type { GateResult } from "../../src/keys/secret-gate.ts";
import { buildKeyRevisionSecret } from "../../src/operator/keys/revision.ts";
import type { Owner } from "../../src/operator/names.ts";
import { poolFigures } from "../../src/operator/node-client/node-metrics.ts";

const owner: Owner = {
  apiVersion: "poolfleet.io/v1alpha1",
  kind: "MultikeyGroup",
  name: "gw",
  namespace: "default",
  uid: "0b0e3b0c-6c1b-4f0e-9c57-2a116c1b7f0e",
};
const spec = multikeyGroupSpec.parse({
  network: { name: "preprod" },
  pools: [
    { name: "zeta", keys: { secretRef: { name: "z" } } },
    { name: "alpha", keys: { secretRef: { name: "a" } } },
  ],
});
const files = (tag: string) => ({
  "kes.skey": Buffer.from(`kes-${tag}`).toString("base64"),
  "vrf.skey": Buffer.from(`vrf-${tag}`).toString("base64"),
  "node.cert": Buffer.from(`cert-${tag}`).toString("base64"),
});
const pools = [
  { name: "zeta", secretName: "gw-zeta-keys-22222222", keysHash: "2".repeat(64), data: files("z") },
  { name: "alpha", secretName: "gw-alpha-keys-11111111", keysHash: "1".repeat(64), data: files("a") },
];

describe("group producer", () => {
  test("one replica mounting the bundle Secret as <pool>/<file>, read-only 0400, in the node's bundle order", () => {
    const { statefulSet, service, podDisruptionBudget } = buildGroupProducer({ owner, spec, pools });
    assert.equal(statefulSet.metadata!.name, "gw-producer");
    assert.equal(statefulSet.spec!.replicas, 1);
    const vol = statefulSet.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!;
    assert.equal(vol.projected, undefined, "one Secret, swapped in place by the kubelet");
    assert.equal(vol.secret!.secretName, "gw-producer-keys");
    assert.equal(vol.secret!.defaultMode, 0o400);
    assert.deepEqual(vol.secret!.items, [
      { key: "alpha.kes.skey", path: "alpha/kes.skey" },
      { key: "alpha.vrf.skey", path: "alpha/vrf.skey" },
      { key: "alpha.node.cert", path: "alpha/node.cert" },
      { key: "zeta.kes.skey", path: "zeta/kes.skey" },
      { key: "zeta.vrf.skey", path: "zeta/vrf.skey" },
      { key: "zeta.node.cert", path: "zeta/node.cert" },
    ]);
    const c = statefulSet.spec!.template.spec!.containers[0]!;
    assert.deepEqual(
      c.volumeMounts!.find((m) => m.name === "keys"),
      { name: "keys", mountPath: "/keys", readOnly: true },
    );
    const i = c.args!.indexOf("--shelley-key-bundle");
    assert.deepEqual(c.args!.slice(i, i + 4), ["--shelley-key-bundle", "/keys", "--node-name", "gw"]);
    assert.ok(!c.args!.includes("--shelley-kes-key"));
    // The node fences its pools with Leases: the pod runs as the group's producer account, token mounted.
    assert.equal(statefulSet.spec!.template.spec!.serviceAccountName, "gw-producer");
    assert.equal(statefulSet.spec!.template.spec!.automountServiceAccountToken, true);
    const r = c.args!.indexOf("--redundancy-level");
    assert.deepEqual(c.args!.slice(r, r + 6), [
      "--redundancy-level",
      "0",
      "--takeover-after-missed-slots",
      "3",
      "--pool-lease-namespace",
      "default",
    ]);
    const w = c.args!.indexOf("--watch-keys");
    assert.deepEqual(c.args!.slice(w, w + 2), ["--watch-keys", "5"], "the node re-reads a re-keyed bundle in place");
    assert.equal(service.metadata!.name, "gw-producer");
    assert.equal(podDisruptionBudget.spec!.minAvailable, 1);
    assert.equal(statefulSet.metadata!.ownerReferences![0]!.kind, "MultikeyGroup");
  });

  test("the pod template changes when a pool joins or leaves, not when a pool's revision changes or the list is reordered", () => {
    const a = buildGroupProducer({ owner, spec, pools });
    const b = buildGroupProducer({ owner, spec, pools: [...pools].reverse() });
    assert.deepEqual(a, b);
    const rekeyed = [
      pools[0]!,
      { ...pools[1]!, secretName: "gw-alpha-keys-33333333", keysHash: "3".repeat(64), data: files("a2") },
    ];
    const c = buildGroupProducer({ owner, spec, pools: rekeyed });
    assert.deepEqual(a.statefulSet.spec!.template, c.statefulSet.spec!.template, "a re-keyed pool: no roll");
    assert.notDeepEqual(buildBundleSecret(owner, pools).data, buildBundleSecret(owner, rekeyed).data);
    const d = buildGroupProducer({ owner, spec, pools: [pools[0]!] });
    assert.notEqual(bundleHash(pools), bundleHash([pools[0]!]));
    assert.notDeepEqual(a.statefulSet.spec!.template, d.statefulSet.spec!.template, "a pool left: a roll");
  });

  test("refuses an empty bundle rather than start a producer with no pools", () => {
    assert.throws(() => buildGroupProducer({ owner, spec, pools: [] }), /at least one pool/);
  });

  test("the bundle Secret holds each pool's revision files and says which revision each pool holds", () => {
    const secret = buildBundleSecret(owner, pools);
    assert.equal(secret.metadata!.name, "gw-producer-keys");
    assert.equal(secret.immutable, undefined, "swapped in place when a pool is re-keyed");
    assert.deepEqual(Object.keys(secret.data!).sort(), [
      "alpha.kes.skey",
      "alpha.node.cert",
      "alpha.vrf.skey",
      "zeta.kes.skey",
      "zeta.node.cert",
      "zeta.vrf.skey",
    ]);
    assert.equal(secret.data!["zeta.kes.skey"], pools[0]!.data["kes.skey"]);
    const back = bundleContents(secret);
    assert.deepEqual(
      [...back.values()].map((p) => [p.name, p.secretName, p.keysHash]),
      [
        ["alpha", "gw-alpha-keys-11111111", "1".repeat(64)],
        ["zeta", "gw-zeta-keys-22222222", "2".repeat(64)],
      ],
    );
    assert.deepEqual(back.get("alpha")!.data, pools[1]!.data);
    assert.equal(bundleContents(undefined).size, 0);
    // A pool whose files are missing from the Secret, or a garbled annotation, is not taken as held.
    const partial = { ...secret, data: { ...secret.data } };
    delete partial.data["zeta.vrf.skey"];
    assert.deepEqual([...bundleContents(partial).keys()], ["alpha"]);
    const garbled = {
      ...secret,
      metadata: { ...secret.metadata, annotations: { [BUNDLE_REVISIONS_ANNOTATION]: "{" } },
    };
    assert.equal(bundleContents(garbled).size, 0);
    assert.throws(() => buildBundleSecret(owner, [{ ...pools[0]!, data: {} }]), /zeta's revision has no kes.skey/);
  });

  test("display names follow the node's sorted directory order", () => {
    assert.deepEqual(
      [...bundleDisplayNames("gw", pools)],
      [
        ["alpha", "gw-0"],
        ["zeta", "gw-1"],
      ],
    );
  });

  test("a group pool's revision is named from group, pool and hash, and labelled with the pool", () => {
    const hash = "ab".repeat(32);
    const data = { "kes.skey": "a2Vz", "vrf.skey": "dnJm", "node.cert": "Y2VydA==" };
    const s = buildKeyRevisionSecret({ owner, pool: "alpha", keysHash: hash, data });
    assert.equal(s.metadata!.name, "gw-alpha-keys-abababab");
    assert.equal(s.metadata!.labels!["poolfleet.io/group-pool"], "alpha");
    assert.equal(s.immutable, true);
    assert.equal(buildKeyRevisionSecret({ owner, keysHash: hash, data }).metadata!.name, "gw-keys-abababab");
  });
});

describe("group producer identity", () => {
  test("a ServiceAccount, a Role with get/create/update on Leases only, and the binding, all owned by the group", () => {
    const [sa, role, binding] = buildProducerRbac(owner);
    for (const o of [sa, role, binding]) {
      assert.equal(o.metadata!.name, "gw-producer");
      assert.equal(o.metadata!.namespace, "default");
      assert.deepEqual(
        o.metadata!.ownerReferences!.map((r) => [r.kind, r.name, r.uid, r.controller]),
        [["MultikeyGroup", "gw", owner.uid, true]],
      );
    }
    assert.equal(producerServiceAccountName("gw"), "gw-producer");
    assert.equal(sa.kind, "ServiceAccount");
    assert.equal(sa.automountServiceAccountToken, false, "only the producer pod asks for the token");
    assert.equal(role.kind, "Role");
    assert.deepEqual(role.rules, [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ]);
    assert.equal(role.rules, PRODUCER_LEASE_RULES);
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "gw-producer" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "gw-producer", namespace: "default" }]);
  });

  test("a backup's producer gets its level, k and the group's namespace for the Leases", () => {
    const backup = multikeyGroupSpec.parse({
      ...spec,
      redundancy: { level: 2, mainGroupRef: { name: "main" }, takeoverAfterMissedSlots: 5 },
    });
    const args = buildGroupProducer({ owner: { ...owner, namespace: "pools" }, spec: backup, pools }).statefulSet.spec!
      .template.spec!.containers[0]!.args!;
    const r = args.indexOf("--redundancy-level");
    assert.deepEqual(args.slice(r, r + 6), [
      "--redundancy-level",
      "2",
      "--takeover-after-missed-slots",
      "5",
      "--pool-lease-namespace",
      "pools",
    ]);
  });
});

describe("per-pool metrics", () => {
  test("read from the node's own registry, by display name", async () => {
    const m = createMetrics();
    m.poolKeysValid.set({ pool: "gw-0" }, 1);
    m.poolForgingNow.set({ pool: "gw-0" }, 1);
    m.poolBlocksForged.inc({ pool: "gw-0" }, 3);
    m.poolKesPeriodsRemaining.set({ pool: "gw-0" }, 55);
    m.poolKeysValid.set({ pool: "gw-1" }, 0);
    m.blocksForged.inc(9);
    const figures = poolFigures(await m.registry.metrics());
    assert.deepEqual(figures.get("gw-0"), { keysValid: 1, forgingNow: 1, blocksForged: 3, kesPeriodsRemaining: 55 });
    assert.deepEqual(figures.get("gw-1"), { keysValid: 0 });
    assert.equal(figures.size, 2, "unlabelled series are not pools");
  });

  test("other labels, escapes and garbage values", () => {
    const text = [
      'poolfleet_pool_blocks_forged_total{instance="x",pool="a\\"b"} 4',
      'poolfleet_pool_keys_valid{pool="c"} NaN',
      'poolfleet_pool_unknown{pool="c"} 1',
      "poolfleet_pool_keys_valid 1",
    ].join("\n");
    assert.deepEqual([...poolFigures(text)], [['a\\"b', { blocksForged: 4 }]]);
  });
});

describe("claim order", () => {
  const c = (kind: Claimant["kind"], namespace: string, name: string, created: string): Claimant => ({
    kind,
    namespace,
    name,
    created,
  });
  test("older first; in one second, namespace/name; then kind", () => {
    const older = c("MultikeyGroup", "z", "z", "2026-01-01T00:00:00Z");
    const newer = c("StakePool", "a", "a", "2026-01-01T00:00:01Z");
    assert.ok(compareClaims(older, newer) < 0);
    assert.ok(compareClaims(newer, older) > 0);
    const t = "2026-01-01T00:00:05Z";
    assert.ok(compareClaims(c("StakePool", "a", "x", t), c("MultikeyGroup", "b", "x", t)) < 0);
    assert.ok(compareClaims(c("MultikeyGroup", "a", "x", t), c("StakePool", "a", "x", t)) < 0);
    assert.equal(compareClaims(c("StakePool", "a", "x", t), c("StakePool", "a", "x", t)), 0);
  });
});

describe("group status", () => {
  const passed = (poolId: string): GateResult => ({ passed: true, checks: [], poolId, keysHash: "ab".repeat(32) });
  const failed: GateResult = {
    passed: false,
    checks: [],
    failure: { check: "key-file", reason: "KeySecretNotFound", message: "Secret b does not exist" },
  };
  const base = {
    generation: 1,
    previous: undefined,
    now: new Date("2026-01-01T00:00:00Z"),
    producerName: "gw-producer",
    statefulSetExists: true,
    ready: true,
  };
  test("a refused pool makes a ready, fully forging group Degraded, with the pool named", () => {
    const s = multikeyGroupStatus({
      ...base,
      pools: [
        { name: "a", gate: passed("pool1a"), keysPassed: true, inBundle: true, displayName: "gw-0" },
        { name: "b", gate: failed, keysPassed: false, inBundle: false },
      ],
      scrape: { ok: true, figures: {}, pools: new Map([["gw-0", { forgingNow: 1, keysValid: 1 }]]) },
    });
    assert.equal(s.phase, "Degraded");
    assert.equal(s.forgingPools, 1);
    assert.equal(s.pools![0]!.forgedBy, "gw-producer-0 (gw-0)");
    assert.equal(s.pools![1]!.reason, "KeySecretNotFound");
    const kv = s.conditions!.find((x) => x.type === "KeysValid")!;
    assert.equal(kv.reason, "KeySecretNotFound");
    assert.match(kv.message, /1 of 2 pools refused .*pool b: KeySecretNotFound: Secret b does not exist/);
  });
  test("every pool forging is Forging; a pool the node itself refuses is not keysValid", () => {
    const pools = [{ name: "a", gate: passed("pool1a"), keysPassed: true, inBundle: true, displayName: "gw-0" }];
    const ok = multikeyGroupStatus({
      ...base,
      pools,
      scrape: { ok: true, figures: {}, pools: new Map([["gw-0", { forgingNow: 1, keysValid: 1 }]]) },
    });
    assert.equal(ok.phase, "Forging");
    const refused = multikeyGroupStatus({
      ...base,
      pools,
      scrape: { ok: true, figures: {}, pools: new Map([["gw-0", { forgingNow: 0, keysValid: 0 }]]) },
    });
    assert.equal(refused.pools![0]!.keysValid, false);
    assert.equal(refused.pools![0]!.reason, "RefusedByNode");
    assert.equal(refused.phase, "Degraded");
  });
  test("no pool that can run: KeysInvalid, and Ready says why", () => {
    const s = multikeyGroupStatus({
      ...base,
      statefulSetExists: false,
      ready: false,
      pools: [{ name: "b", gate: failed, keysPassed: false, inBundle: false }],
      scrape: undefined,
    });
    assert.equal(s.phase, "KeysInvalid");
    assert.equal(s.conditions!.find((x) => x.type === "Ready")!.reason, "WaitingForKeys");
  });
  test("a backup forging nothing is Standby, not Degraded; once it took a pool over, Forging", () => {
    const pools = [
      { name: "a", gate: passed("pool1a"), keysPassed: true, inBundle: true, displayName: "gw-0" },
      { name: "b", gate: passed("pool1b"), keysPassed: true, inBundle: true, displayName: "gw-1" },
    ];
    const figures = (a: number, b: number) =>
      new Map([
        ["gw-0", { forgingNow: a, keysValid: 1 }],
        ["gw-1", { forgingNow: b, keysValid: 1 }],
      ]);
    const standby = multikeyGroupStatus({
      ...base,
      role: "Backup",
      pools,
      scrape: { ok: true, figures: {}, pools: figures(0, 0) },
    });
    assert.equal(standby.role, "Backup");
    assert.equal(standby.phase, "Standby");
    assert.equal(standby.forgingPools, 0);
    assert.deepEqual(
      standby.pools!.map((p) => [p.forgingNow, p.reason]),
      [
        [false, undefined],
        [false, undefined],
      ],
    );
    const forging = standby.conditions!.find((x) => x.type === "Forging")!;
    assert.deepEqual([forging.status, forging.reason], ["False", "Standby"]);
    const tookOver = multikeyGroupStatus({
      ...base,
      role: "Backup",
      pools,
      scrape: { ok: true, figures: {}, pools: figures(0, 1) },
    });
    assert.equal(tookOver.phase, "Forging");
    assert.equal(tookOver.pools![1]!.forgedBy, "gw-producer-0 (gw-1)");
    assert.equal(tookOver.conditions!.find((x) => x.type === "Forging")!.reason, "TookOver");
    // The same figures on a main group: a pool that does not forge is Degraded.
    const main = multikeyGroupStatus({ ...base, pools, scrape: { ok: true, figures: {}, pools: figures(0, 0) } });
    assert.equal(main.role, "Main");
    assert.equal(main.phase, "Degraded");
  });
});
