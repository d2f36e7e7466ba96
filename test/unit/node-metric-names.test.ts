// The series the operator reads (src/formats/node-metric-names.ts) are the series the node registers: a rename on
// one side without the other fails here, not in a cluster where a producer's status would silently stop moving.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NODE_METRICS, POOL_METRICS } from "../../src/formats/node-metric-names.ts";
import { createMetrics } from "../../src/node/metrics.ts";
import { nodeFigures, poolFigures } from "../../src/operator/node-client/node-metrics.ts";

test("every series the operator reads is one the node registers, and the operator parses what the node writes", async () => {
  const m = createMetrics();
  const registered = new Set(m.registry.getMetricsAsArray().map((x) => x.name));
  for (const name of [...Object.values(NODE_METRICS), ...Object.values(POOL_METRICS)])
    assert.ok(registered.has(name), `${name} is registered by the node`);

  m.tipSlot.set(1234);
  m.blocksForged.inc(3);
  m.forgingEnabled.set(1);
  m.poolBlocksForged.inc({ pool: "node-0" }, 2);
  m.poolForgingNow.set({ pool: "node-0" }, 1);
  const text = await m.registry.metrics();
  const figures = nodeFigures(text);
  assert.equal(figures.tipSlot, 1234);
  assert.equal(figures.blocksForged, 3);
  assert.equal(figures.forgingEnabled, 1);
  const pool = poolFigures(text).get("node-0");
  assert.equal(pool?.blocksForged, 2);
  assert.equal(pool?.forgingNow, 1);
});
