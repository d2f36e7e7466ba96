// The manager's pure parts: when an apply may be skipped, the work queue's guarantees, the secret redactor.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApplyMemo, applyIsNoop, isSubset, ownedFieldsPresent, toWire } from "../../src/operator/manager/apply.ts";
import { StringPool, trimForCache } from "../../src/operator/manager/cache-trim.ts";
import { WorkQueue } from "../../src/operator/manager/queue.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";

const live = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "x",
    namespace: "ns",
    resourceVersion: "7",
    labels: { a: "1", other: "theirs" },
    managedFields: [
      {
        manager: "ours",
        operation: "Apply",
        fieldsV1: { "f:data": { "f:k": {}, "f:gone": {} }, "f:metadata": { "f:labels": { "f:a": {} } } },
      },
      { manager: "theirs", operation: "Update", fieldsV1: { "f:metadata": { "f:labels": { "f:other": {} } } } },
    ],
  },
  data: { k: "v", gone: "old" },
};

test("an apply is skipped only when every desired value is live and every owned field is still desired", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x", labels: { a: "1" } },
    data: { k: "v", gone: "old" },
  };
  assert.equal(applyIsNoop(desired, live, "ours"), true);
  assert.equal(
    applyIsNoop({ ...desired, data: { k: "changed", gone: "old" } }, live, "ours"),
    false,
    "a value differs",
  );
  assert.equal(applyIsNoop({ ...desired, data: { k: "v" } }, live, "ours"), false, "an owned field was dropped");
  assert.equal(applyIsNoop(desired, live, "someone-else"), true, "no owned fields: the values decide");
  assert.equal(applyIsNoop(desired, undefined, "ours"), false, "absent: create");
});

test("the cache's trimmed copy answers the no-op check as the object itself does", () => {
  const pool = new StringPool();
  const cached = trimForCache(
    structuredClone({
      ...live,
      metadata: { ...live.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } },
    }) as never,
    new Set(["ours"]),
    pool,
  );
  const entries = cached.metadata!.managedFields!;
  assert.deepEqual(
    entries.map((e) => e.manager),
    ["ours"],
    "other managers' entries go",
  );
  assert.equal(typeof entries[0]!.fieldsV1, "string", "our field set is kept as its JSON text");
  assert.deepEqual(cached.metadata!.annotations, {}, "kubectl's last-applied annotation goes");
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x", labels: { a: "1" } },
    data: { k: "v", gone: "old" },
  };
  assert.equal(applyIsNoop(desired, cached, "ours"), true);
  assert.equal(applyIsNoop({ ...desired, data: { k: "v" } }, cached, "ours"), false, "an owned field was dropped");
});

test("the string pool keeps one copy of repeated short values, and skips values unique to an object", () => {
  const pool = new StringPool(3);
  const a = trimForCache(
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", uid: "u-1", labels: { app: "poolfleet-node" } } },
    new Set(),
    pool,
  );
  trimForCache(
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b", uid: "u-2", labels: { app: "poolfleet-node" } } },
    new Set(),
    pool,
  );
  assert.equal(pool.size, 3, "v1, ConfigMap, poolfleet-node: names and uids are not pooled");
  assert.equal(a.metadata!.labels!.app, "poolfleet-node");
  assert.equal(pool.intern("x".repeat(65)).length, 65, "long strings pass through");
  pool.intern("new");
  assert.equal(pool.size, 3, "a full pool adds nothing more");
});

test("owned list entries are matched by key, set values by value", () => {
  const desired = { spec: { containers: [{ name: "node", image: "i" }], finalizers: ["a"] } };
  assert.ok(ownedFieldsPresent({ "f:spec": { "f:containers": { 'k:{"name":"node"}': { "f:image": {} } } } }, desired));
  assert.ok(!ownedFieldsPresent({ "f:spec": { "f:containers": { 'k:{"name":"sidecar"}': {} } } }, desired));
  assert.ok(ownedFieldsPresent({ "f:spec": { "f:finalizers": { 'v:"a"': {} } } }, desired));
  assert.ok(!ownedFieldsPresent({ "f:spec": { "f:finalizers": { 'v:"b"': {} } } }, desired));
});

test("lists compare element by element and must have the same length", () => {
  assert.ok(isSubset([{ a: 1 }], [{ a: 1, b: 2 }]));
  assert.ok(!isSubset([{ a: 1 }], [{ a: 1 }, { a: 2 }]));
  assert.ok(!isSubset({ a: "1" }, { a: 1 }));
});

test("toWire is the object's JSON: undefined fields dropped, nothing shared with the builder's object", () => {
  const np = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "p", labels: undefined },
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }], ports: undefined }] },
  };
  const wire = toWire(np as never);
  assert.deepEqual(wire, {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "p" },
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] },
  });
  (wire.spec as { podSelector: Record<string, string> }).podSelector.x = "y";
  assert.deepEqual(np.spec.podSelector, {});
});

test("the memo covers our own last apply and stale cached copies, not newer changes by others", () => {
  const memo = new ApplyMemo();
  memo.record("/p", "d1", "100");
  assert.ok(memo.covers("/p", "d1", "100"));
  assert.ok(memo.covers("/p", "d1", "90"), "cache not caught up yet");
  assert.ok(!memo.covers("/p", "d1", "101"), "someone wrote after us");
  assert.ok(!memo.covers("/p", "d2", "100"), "a different desired object");
});

test("the queue dedupes, never hands one key to two workers, and re-queues a key changed while in progress", async () => {
  const q = new WorkQueue({ backoffBaseMs: 10, backoffMaxMs: 40 });
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  assert.equal(q.length, 2);
  const first = await q.get();
  assert.equal(first, "ns/a");
  q.add("ns/a"); // changed while being reconciled
  assert.equal(await q.get(), "ns/b");
  let third: string | undefined;
  void q.get().then((k) => (third = k));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(third, undefined, "a is in progress: not handed out again");
  q.done("ns/a");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(third, "ns/a");
  assert.deepEqual(
    [q.addRateLimited("ns/c"), q.addRateLimited("ns/c"), q.addRateLimited("ns/c"), q.addRateLimited("ns/c")],
    [10, 20, 40, 40],
  );
  q.forget("ns/c");
  assert.equal(q.addRateLimited("ns/c"), 10);
  q.shutDown();
  assert.equal(await q.get(), undefined);
});

test("the redactor removes registered Secret values in every spelling", () => {
  const r = new SecretRedactor();
  const envelope = JSON.stringify({ type: "KesSigningKey_ed25519_kes_2^6", cborHex: "5901c0" + "ab".repeat(40) });
  r.registerSecretData({ "kes.skey": Buffer.from(envelope).toString("base64") });
  const hex = "5901c0" + "ab".repeat(40);
  assert.equal(r.scrub(`key ${hex} leaked`), "key [redacted] leaked");
  assert.equal(r.scrub(`b64 ${Buffer.from(envelope).toString("base64")}`), "b64 [redacted]");
  assert.deepEqual(r.scrubDeep({ note: [hex] }), { note: ["[redacted]"] });
  assert.equal(r.scrub("nothing secret here at all"), "nothing secret here at all");
});
