// Readiness of real poolfleet-node processes: a relay with no peer and an old tip is not ready and says why; a relay
// whose peer is connected is; a producer whose tip is old, with its upstream peer unreachable, does not forge and
// says so — and forges again once it is caught up (its peer is back and it is at that peer's tip).
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { topologyJson } from "../../src/formats/topology.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-readiness-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
/** Seconds a tip may be old in these tests: short, so "old" is a few seconds' wait. */
const MAX_AGE = "2";

function topology(name: string, ports: number[]): string {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  const file = join(home, "topology.json");
  writeFileSync(file, topologyJson(ports.map((port) => ({ address: "127.0.0.1", port }))));
  return file;
}

async function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningNode> {
  const node = await startNode(
    [
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, name, "db"),
      "--host-addr",
      "127.0.0.1",
      ...args,
    ],
    env,
  );
  running.push(node);
  return node;
}

async function ready(n: RunningNode): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await n.get("/ready");
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

const sample = async (n: RunningNode, series: string): Promise<number | undefined> => {
  const { body } = await n.get("/metrics");
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

let producerPort: number;
let producer: RunningNode;

before(async () => {
  await createDevnet(devnet, { slotLength: "0.1", activeSlotCoeff: "0.5", securityParam: 5 });
  producerPort = await freePort();
  producer = await start("producer", ["--port", String(producerPort), ...poolKeyArgs(devnet)]);
  await waitFor(
    "the producer forges",
    async () => ((await producer.metric("poolfleet_tip_block")) ?? -1) >= 3 || undefined,
  );
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("readiness of a running node", () => {
  it("a lone producer that forges is ready (no upstream configured)", async () => {
    const r = await ready(producer);
    assert.equal(r.status, 200);
    assert.equal(r.body.caughtUp, true);
  });

  it("a relay with no peer and an old tip is not ready, and says why", async () => {
    const nobody = await freePort();
    // Its only upstream peer never answers; the devnet started more than MAX_AGE seconds ago and it has no block.
    const relay = await start("lonely", ["--topology", topology("lonely", [nobody])], {
      POOLFLEET_MAX_CAUGHT_UP_AGE: MAX_AGE,
    });
    await waitFor("the relay answers", async () => (await relay.get("/health")).status === 200 || undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const r = await ready(relay);
    assert.equal(r.status, 503);
    assert.equal(r.body.ready, false);
    assert.equal(r.body.caughtUp, false);
    assert.match(String(r.body.reason), /not caught up: the tip is \d+ s old .*no upstream peer is connected/);
    assert.equal(await relay.metric("poolfleet_caught_up"), 0);
    const health = JSON.parse((await relay.get("/health")).body) as { ready: boolean };
    assert.equal(health.ready, false);
    await relay.stop();
  });

  it("a relay with no topology is caught up but not ready without a peer; with its peer it is", async () => {
    const alone = await start("alone", []);
    await waitFor("the relay answers", async () => (await alone.get("/health")).status === 200 || undefined);
    const r = await ready(alone);
    assert.equal(r.status, 503);
    assert.equal(r.body.reason, "a relay with no peer connected");
    await alone.stop();
    const follower = await start("follower", ["--topology", topology("follower", [producerPort])], {
      POOLFLEET_MAX_CAUGHT_UP_AGE: MAX_AGE,
    });
    await waitFor("the following relay ready", async () => (await ready(follower)).status === 200 || undefined, 30_000);
    await follower.stop();
  });

  it("a producer behind the tip does not forge, says so, and forges once caught up", async () => {
    // The producer's chain, stopped: its tip grows old while a second producer with the same pool resumes from a copy.
    assert.equal(await producer.stop(), 0);
    cpSync(join(root, "producer", "db"), join(root, "behind", "db"), { recursive: true });
    await new Promise((r) => setTimeout(r, 3000));
    const upstream = await freePort();
    const behind = await start("behind", ["--topology", topology("behind", [upstream]), ...poolKeyArgs(devnet)], {
      POOLFLEET_MAX_CAUGHT_UP_AGE: MAX_AGE,
    });
    await waitFor("the producer answers", async () => (await behind.get("/health")).status === 200 || undefined);
    const missed = 'poolfleet_leader_slots_missed_total{reason="not-caught-up"}';
    await waitFor(
      "leader slots missed as not caught up",
      async () => ((await sample(behind, missed)) ?? 0) >= 2 || undefined,
    );
    const r = await ready(behind);
    assert.equal(r.status, 503);
    assert.match(String(r.body.reason), /not caught up/);
    assert.equal(await behind.metric("poolfleet_blocks_forged_total"), 0);
    assert.equal(await behind.metric("poolfleet_leader_checks_total"), 0);
    assert.equal(await behind.metric("poolfleet_forging_enabled"), 1, "its keys are fine: it is the chain that is old");
    assert.equal(behind.logs.filter((l) => l.includes("not caught up: NOT forging")).length, 1, "logged once");

    // Its upstream peer comes up: a relay with nothing newer to offer, which answers chain-sync with MsgAwaitReply
    // at once. At that peer's tip the behind producer counts as caught up (a quiet network is not a stalled node), and
    // forges.
    const peer = await start("peer", ["--port", String(upstream)]);
    await waitFor("caught up", async () => (await behind.metric("poolfleet_caught_up")) === 1 || undefined, 30_000);
    await waitFor(
      "forging again",
      async () => ((await behind.metric("poolfleet_blocks_forged_total")) ?? 0) > 0 || undefined,
      30_000,
    );
    assert.ok(behind.logs.some((l) => l.includes("caught up: forging")));
    assert.equal((await ready(behind)).status, 200);
    await peer.stop();
    await behind.stop();
  });
});
