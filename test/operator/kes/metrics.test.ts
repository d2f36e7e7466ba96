// The KES metrics as Prometheus reads them: the registry's text output after observing schedules moved by a
// test clock, two rotations side by side, an unreadable certificate, and a deleted rotation's series gone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testClock } from "./test-genesis.ts";
import { Registry } from "prom-client";
import { registerKesMetrics } from "../../../src/operator/kesrotation/metrics.ts";
import { DAY_MS, kesSchedule } from "../../../src/keys/kes-schedule.ts";

const clock = testClock();
const START_S = Date.parse("2026-01-01T00:00:00Z") / 1000;
const PERIOD_S = 129600;

/** The value of one sample line, found by metric name and exact label set. */
function sampleOf(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("KES metrics", () => {
  it("exports expiry, renewal, periods left and Ready in cert-manager's shape, and forgets deleted rotations", async () => {
    const registry = new Registry();
    const metrics = registerKesMetrics(registry);
    const a = { namespace: "pools", name: "alpha-kes", pool: "alpha" };
    const b = { namespace: "pools", name: "beta-kes", pool: "beta" };
    const at = (period: number) => new Date((START_S + period * PERIOD_S) * 1000);
    metrics.observe(a, kesSchedule({ clock, opcert: { kesPeriod: 10 }, now: at(12) }), "True");
    metrics.observe(b, kesSchedule({ clock, opcert: { kesPeriod: 0 }, now: at(62) }), "False");

    let text = await registry.metrics();
    assert.match(text, /# TYPE poolfleet_kes_expiration_timestamp_seconds gauge/);
    assert.match(text, /# HELP poolfleet_kes_ready_status /);
    const A = 'namespace="pools",name="alpha-kes",pool="alpha"';
    const B = 'namespace="pools",name="beta-kes",pool="beta"';
    assert.equal(sampleOf(text, "poolfleet_kes_expiration_timestamp_seconds", A), START_S + 72 * PERIOD_S);
    assert.equal(
      sampleOf(text, "poolfleet_kes_renewal_timestamp_seconds", A),
      START_S + 72 * PERIOD_S - (14 * DAY_MS) / 1000,
    );
    assert.equal(sampleOf(text, "poolfleet_kes_periods_remaining", A), 60);
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${A},condition="True"`), 1);
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${A},condition="False"`), 0);
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${A},condition="Unknown"`), 0);
    // beta's certificate (period 0) ended at period 62.
    assert.equal(sampleOf(text, "poolfleet_kes_periods_remaining", B), 0);
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${B},condition="False"`), 1);

    // The clock moves a period: the gauge follows. Then alpha's certificate becomes unreadable.
    metrics.observe(a, kesSchedule({ clock, opcert: { kesPeriod: 10 }, now: at(13) }), "True");
    assert.equal(sampleOf(await registry.metrics(), "poolfleet_kes_periods_remaining", A), 59);
    metrics.observe(a, undefined, "Unknown");
    text = await registry.metrics();
    assert.equal(sampleOf(text, "poolfleet_kes_expiration_timestamp_seconds", A), undefined, "no stale expiry");
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${A},condition="Unknown"`), 1);
    assert.equal(sampleOf(text, "poolfleet_kes_ready_status", `${A},condition="True"`), 0);

    metrics.forget(a);
    text = await registry.metrics();
    assert.ok(!text.includes('name="alpha-kes"'), "a deleted rotation leaves no series");
    assert.equal(sampleOf(text, "poolfleet_kes_expiration_timestamp_seconds", B), START_S + 62 * PERIOD_S);
  });

  it("registers once per registry: a second registration is a programming error, not a silent duplicate", () => {
    const registry = new Registry();
    registerKesMetrics(registry);
    assert.throws(() => registerKesMetrics(registry), /already been registered/);
  });
});
