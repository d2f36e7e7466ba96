// Status helpers: the preset networks' genesis facts against the real genesis files, the KES window on real
// boundaries, and /metrics read from a real poolfleet-node forging on a loopback devnet (its own KES figures must
// agree with what the operator computes from the certificate and the devnet's shelley-genesis.json).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { kesWindow } from "../../src/keys/kes-schedule.ts";
import { readOperationalCertificate } from "../../src/formats/opcert.ts";
import { networkClock, PRESETS, presetGenesis } from "../../src/operator/networks.ts";
import { kesStatus } from "../../src/operator/controllers/kes-status.ts";
import {
  type Fetch,
  highestTip,
  metricsUrl,
  nodeFigures,
  parsePrometheusText,
  scrapeNode,
  tipOf,
} from "../../src/operator/node-client/node-metrics.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { readFixture, readFixtureJson } from "../helpers/fixtures.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

describe("preset networks", () => {
  for (const name of ["mainnet", "preprod", "preview"] as const) {
    test(`${name}: the operator's genesis facts are the real shelley-genesis.json's`, () => {
      const real = parseShelleyGenesis(readFixture("genesis", `${name}-shelley-genesis.json`), name);
      const mine = presetGenesis(name);
      for (const k of [
        "networkMagic",
        "networkId",
        "securityParam",
        "epochLength",
        "slotLengthMs",
        "slotsPerKESPeriod",
        "maxKESEvolutions",
      ] as const) {
        assert.equal(mine[k], real[k], k);
      }
      assert.equal(mine.systemStart.getTime(), real.systemStart.getTime());
      assert.deepEqual(mine.activeSlotsCoeff, real.activeSlotsCoeff);
      assert.ok(PRESETS[name].bootstrapPeers.length > 0);
    });
  }

  test("the Shelley start slot and time of each preset match pallas' well-known values", () => {
    type Known = Record<string, { shelley_known_slot: number; shelley_known_time: number }>;
    const known = readFixtureJson<{ byron_shelley_boundary_per_pallas_wellknown: Known }>(
      "genesis",
      "network-constants.json",
    ).byron_shelley_boundary_per_pallas_wellknown;
    for (const name of ["mainnet", "preprod", "preview"] as const) {
      const clock = networkClock({ name });
      const k = known[name]!;
      assert.equal(clock.timeOfSlot(k.shelley_known_slot), k.shelley_known_time * 1000, name);
      assert.equal(clock.slotAt(k.shelley_known_time * 1000 + 129_600_000), k.shelley_known_slot + 129_600, name);
    }
  });

  test("a KES window on mainnet: 62 periods of 129600 slots, expiry on the period boundary", () => {
    const clock = networkClock({ name: "mainnet" });
    // A certificate starting at period 1000 (slot 129,600,000), seen at the first second of period 1010.
    const at = new Date(clock.timeOfKesPeriod(1010));
    const w = kesWindow({ kesPeriod: 1000 } as Parameters<typeof kesWindow>[0], clock, at);
    const s = kesStatus(w, 7);
    assert.deepEqual(s, {
      currentPeriod: 1010,
      startPeriod: 1000,
      endPeriod: 1062,
      periodsLeft: 52,
      expiresAt: new Date(clock.timeOfKesPeriod(1062)).toISOString().replace(".000Z", "Z"),
      counter: 7,
    });
    assert.equal(clock.timeOfKesPeriod(1062) - clock.timeOfKesPeriod(1010), 52 * 129_600 * 1000);
    const late = kesStatus(kesWindow({ kesPeriod: 1000 } as never, clock, new Date(clock.timeOfKesPeriod(1070))), 7);
    assert.equal(late.periodsLeft, -8, "expired shows as negative, as the status field documents");
  });

  test("a custom network's clock comes from its shelley-genesis.json; a bad file is refused saying where", () => {
    const text = readFixture("genesis", "preview-shelley-genesis.json").toString("utf8");
    const clock = networkClock({ name: "custom" }, { text, where: "ConfigMap devnet, key shelley-genesis.json" });
    assert.equal(clock.genesis.networkMagic, 2);
    assert.throws(
      () => networkClock({ name: "custom" }, { text: "{}", where: "ConfigMap devnet, key shelley-genesis.json" }),
      /ConfigMap devnet, key shelley-genesis.json: Shelley genesis field "systemStart"/,
    );
  });
});

describe("Prometheus text", () => {
  test("unlabelled samples, with HELP/TYPE, labels, timestamps, NaN and Inf handled", () => {
    const text = [
      "# HELP poolfleet_tip_slot slot of the chain tip",
      "# TYPE poolfleet_tip_slot gauge",
      "poolfleet_tip_slot 1234",
      'poolfleet_node_http{code="200"} 9',
      "poolfleet_tip_block 56 1700000000000",
      "poolfleet_node_kes_periods_remaining NaN",
      "poolfleet_peers_connected +Inf",
      "garbage line here",
      "poolfleet_blocks_forged_total 3e1",
    ].join("\n");
    const samples = parsePrometheusText(text);
    assert.equal(samples.get("poolfleet_tip_slot"), 1234);
    assert.equal(samples.get("poolfleet_tip_block"), 56);
    assert.equal(samples.has("poolfleet_node_http"), false);
    assert.ok(Number.isNaN(samples.get("poolfleet_node_kes_periods_remaining")));
    assert.deepEqual(nodeFigures(text), { tipSlot: 1234, tipBlock: 56, blocksForged: 30 });
    assert.deepEqual(tipOf(nodeFigures(text)), { slot: 1234, blockNo: 56 });
    assert.equal(tipOf({}), undefined);
    assert.deepEqual(highestTip([{ slot: 3 }, undefined, { slot: 9, blockNo: 2 }, { slot: 5 }]), {
      slot: 9,
      blockNo: 2,
    });
    assert.equal(metricsUrl("fd00::1", 12798), "http://[fd00::1]:12798/metrics");
  });
});

describe("scraping a real poolfleet-node", () => {
  const root = mkdtempSync(join(tmpdir(), "pf-status-"));
  const devnet = join(root, "devnet");
  const pool = (f: string) => join(devnet, "pools", "pool1", f);
  let node: RunningNode;

  before(async () => {
    await createDevnet(devnet, { slotLength: "0.1", epochLength: 100, activeSlotCoeff: "0.5", securityParam: 5 });
    node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, "db"),
      ...poolKeyArgs(devnet),
    ]);
  });
  after(async () => {
    await node?.stop();
  });

  test("tip and blocks forged as the node reports them; KES figures agree with the operator's own", async () => {
    const url = metricsUrl("127.0.0.1", node.port);
    await waitFor("two forged blocks", async () => ((await node.metric("poolfleet_blocks_forged_total")) ?? 0) >= 2);
    const r = await scrapeNode(url);
    assert.ok(r.ok, !r.ok ? r.error : "");
    const f = r.figures;
    const forgedAfter = (await node.metric("poolfleet_blocks_forged_total"))!;
    assert.ok(f.blocksForged! >= 2 && f.blocksForged! <= forgedAfter, `${f.blocksForged} then ${forgedAfter}`);
    const tip = tipOf(f)!;
    assert.ok(tip.slot > 0 && tip.blockNo! >= 1, JSON.stringify(tip));
    assert.equal(f.forgingEnabled, 1);
    // The operator's view of the KES window, from the certificate and the devnet's genesis, is the node's.
    const clock = networkClock(
      { name: "custom" },
      { text: readFileSync(join(devnet, "shelley-genesis.json"), "utf8"), where: "devnet shelley-genesis.json" },
    );
    const cert = readOperationalCertificate(pool("node.cert"));
    const mine = kesStatus(kesWindow(cert, clock, new Date()), cert.sequenceNumber);
    assert.equal(f.opcertCounter, mine.counter);
    assert.ok(
      Math.abs(f.kesCurrentPeriod! - mine.currentPeriod!) <= 1,
      `${f.kesCurrentPeriod} vs ${mine.currentPeriod}`,
    );
    if (f.kesCurrentPeriod !== undefined && f.kesCurrentPeriod === mine.currentPeriod) {
      assert.equal(f.kesPeriodsRemaining, mine.periodsLeft);
    }
    assert.ok(f.kesPeriodsRemaining !== undefined, "the node exports KES periods remaining");
  });

  test("failures are results, not throws: refused connection, HTTP error, and a hung server (timeout)", async () => {
    const closed = await scrapeNode("http://127.0.0.1:1/metrics", { timeoutMs: 2000 });
    assert.equal(closed.ok, false);
    const notFound = await scrapeNode(`http://127.0.0.1:${node.port}/nope`);
    assert.deepEqual(notFound, { ok: false, error: `http://127.0.0.1:${node.port}/nope answered HTTP 404` });
    // A server that accepts and never answers: a real socket, only the stall is ours.
    const hung: Server = createServer(() => {});
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
    const port = (hung.address() as { port: number }).port;
    const slow = await scrapeNode(`http://127.0.0.1:${port}/metrics`, { timeoutMs: 300 });
    hung.closeAllConnections();
    hung.close();
    assert.deepEqual(slow, { ok: false, error: `http://127.0.0.1:${port}/metrics: timed out` });
    // Injected fault: a fetch that throws (a network stack error the loopback cannot produce on demand).
    const faulty: Fetch = async () => {
      throw new Error("ECONNRESET");
    };
    assert.deepEqual(await scrapeNode("http://x/metrics", { fetch: faulty }), {
      ok: false,
      error: "http://x/metrics: ECONNRESET",
    });
  });
});
