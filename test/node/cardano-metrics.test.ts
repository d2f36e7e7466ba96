// cardano-node's metric names on a devnet producer and relay, scraped over HTTP from real processes: every
// cardano_node_metrics_* series README lists is there, agrees with poolfleet's own series, and moves as it should
// (slots, blocks and forge counters grow); a producer stopped (SIGSTOP) through its leader slots counts them missed.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CARDANO_METRICS } from "../../src/node/cardano-metrics.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-cardano-metrics-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
const EPOCH = 30;

/** Every unlabelled sample of a scrape, and the labelled samples of one metric by their label text. */
async function scrape(n: RunningNode): Promise<Map<string, number>> {
  const { body } = await n.get("/metrics");
  const out = new Map<string, number>();
  for (const line of body.split("\n")) {
    const m = /^([A-Za-z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
const get = (s: Map<string, number>, name: string): number => {
  const v = s.get(name);
  assert.ok(v !== undefined, `${name} is exported`);
  return v;
};

async function start(name: string, args: string[]): Promise<RunningNode> {
  const node = await startNode([
    "--config",
    join(devnet, "config.json"),
    "--database-path",
    join(root, name, "db"),
    "--host-addr",
    "127.0.0.1",
    ...args,
  ]);
  running.push(node);
  return node;
}

before(async () => {
  // 0.1 s slots, f = 1/2 with all the stake: about five blocks a second; 3-second epochs, so the epoch moves too.
  await createDevnet(devnet, { slotLength: "0.1", epochLength: EPOCH, activeSlotCoeff: "0.5", securityParam: 5 });
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("cardano-node's metric names", () => {
  let producer: RunningNode;
  let producerPort: number;

  it("a producer exports every listed series, equal to poolfleet's, and the counters grow", async () => {
    producerPort = await freePort();
    producer = await start("producer", ["--port", String(producerPort), ...poolKeyArgs(devnet)]);
    await waitFor("blocks", async () => (await producer.metric("poolfleet_tip_block")) !== undefined || undefined);
    await waitFor("two blocks", async () => ((await producer.metric("poolfleet_tip_block")) ?? 0) >= 2 || undefined);
    const a = await scrape(producer);
    await new Promise((r) => setTimeout(r, 3500));
    const b = await scrape(producer);
    const relayOnly = new Set(["cardano_node_metrics_blockfetchclient_blockdelay_s"]);
    for (const name of CARDANO_METRICS) if (!relayOnly.has(name)) get(b, name);
    // README lists exactly these names.
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const name of CARDANO_METRICS) assert.ok(readme.includes(`\`${name}\``), `README lists ${name}`);

    const pairs: [string, string][] = [
      ["cardano_node_metrics_slotNum_int", "poolfleet_tip_slot"],
      ["cardano_node_metrics_blockNum_int", "poolfleet_tip_block"],
      ["cardano_node_metrics_epoch_int", "poolfleet_tip_epoch"],
      ["cardano_node_metrics_txsInMempool_int", "poolfleet_mempool_txs"],
      ["cardano_node_metrics_mempoolBytes_int", "poolfleet_mempool_bytes"],
      ["cardano_node_metrics_Forge_forge_about_to_lead_int", "poolfleet_leader_checks_total"],
      ["cardano_node_metrics_Forge_node_is_leader_int", "poolfleet_slots_led_total"],
      ["cardano_node_metrics_Forge_adopted_int", "poolfleet_blocks_forged_total"],
      ["cardano_node_metrics_currentKESPeriod_int", "poolfleet_node_kes_current_period"],
      ["cardano_node_metrics_remainingKESPeriods_int", "poolfleet_node_kes_periods_remaining"],
      ["cardano_node_metrics_operationalCertificateStartKESPeriod_int", "poolfleet_node_kes_start_period"],
      ["cardano_node_metrics_operationalCertificateExpiryKESPeriod_int", "poolfleet_node_kes_end_period"],
      ["cardano_node_metrics_connectedPeers_int", "poolfleet_peers_connected"],
    ];
    for (const [cardano, ours] of pairs) assert.equal(get(b, cardano), get(b, ours), `${cardano} = ${ours}`);

    // Growing: the tip's slot, block and epoch, the forge counters, the uptime.
    for (const name of [
      "cardano_node_metrics_slotNum_int",
      "cardano_node_metrics_blockNum_int",
      "cardano_node_metrics_epoch_int",
      "cardano_node_metrics_Forge_forge_about_to_lead_int",
      "cardano_node_metrics_Forge_node_is_leader_int",
      "cardano_node_metrics_Forge_forged_int",
      "cardano_node_metrics_Forge_adopted_int",
      "cardano_node_metrics_upTime_ns",
    ])
      assert.ok(get(b, name) > get(a, name), `${name} grew: ${get(a, name)} -> ${get(b, name)}`);
    assert.equal(get(b, "cardano_node_metrics_Forge_didnt_adopt_int"), 0);
    assert.equal(get(b, "cardano_node_metrics_Forge_forged_int"), get(b, "cardano_node_metrics_Forge_adopted_int"));
    const slot = get(b, "cardano_node_metrics_slotNum_int");
    assert.equal(get(b, "cardano_node_metrics_slotInEpoch_int"), slot % EPOCH);
    assert.equal(get(b, "cardano_node_metrics_epoch_int"), Math.floor(slot / EPOCH));
    const density = get(b, "cardano_node_metrics_density_real");
    assert.ok(density > 0.1 && density <= 1, `density ${density} with f = 1/2`);
    const kesStart = get(b, "cardano_node_metrics_operationalCertificateStartKESPeriod_int");
    const expiry = get(b, "cardano_node_metrics_operationalCertificateExpiryKESPeriod_int");
    const current = get(b, "cardano_node_metrics_currentKESPeriod_int");
    assert.ok(kesStart <= current && current < expiry, `KES ${kesStart} <= ${current} < ${expiry}`);
    assert.equal(get(b, "cardano_node_metrics_remainingKESPeriods_int"), expiry - current);
    assert.ok(Math.abs(get(b, "cardano_node_metrics_nodeStartTime_int") - Date.now() / 1000) < 120);
    // Nothing missed while the loop ran freely on an idle-enough machine is not asserted (a loaded CI box stalls);
    // the sum of the reasons is cardano-node's slotsMissedNum.
    const missed = [...b].filter(([k]) => k.startsWith("poolfleet_leader_slots_missed_total{"));
    assert.equal(missed.length, 4, "one series per reason from the start");
    assert.equal(
      get(b, "cardano_node_metrics_slotsMissedNum_int"),
      missed.reduce((n, [, v]) => n + v, 0),
    );
    // The operator's KES names are not the node's.
    assert.ok(![...b.keys()].some((k) => k.startsWith("poolfleet_kes_")), "no poolfleet_kes_* on the node");
  });

  it("a relay following the producer reports its peers and the block delay", async () => {
    const home = join(root, "relay");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, "topology.json"), topologyJson([{ address: "127.0.0.1", port: producerPort }]));
    const relay = await start("relay", ["--topology", join(home, "topology.json")]);
    await waitFor(
      "the relay follows the producer",
      async () => (await scrape(relay)).has("cardano_node_metrics_blockfetchclient_blockdelay_s") || undefined,
      30_000,
    );
    const s = await scrape(relay);
    assert.ok(get(s, "cardano_node_metrics_connectedPeers_int") >= 1);
    const delay = get(s, "cardano_node_metrics_blockfetchclient_blockdelay_s");
    assert.ok(delay >= 0 && delay < 30, `block delay ${delay} s`);
    assert.equal(delay, get(s, "poolfleet_block_delay_seconds"));
    // A relay has no certificate: cardano-node's KES series and ours stay out.
    for (const name of [
      "cardano_node_metrics_remainingKESPeriods_int",
      "cardano_node_metrics_operationalCertificateExpiryKESPeriod_int",
      "poolfleet_node_kes_expiration_timestamp_seconds",
    ])
      assert.equal(s.get(name), undefined, `${name} on a relay`);
    assert.equal(get(s, "cardano_node_metrics_Forge_forge_about_to_lead_int"), 0, "gLiveView shows it as a relay");
    assert.equal((await relay.get("/ready")).status, 200);
    await relay.stop();
  });

  it("a producer stopped through its leader slots counts them missed once it runs again", async () => {
    const before = await scrape(producer);
    const stalledBefore = get(before, 'poolfleet_leader_slots_missed_total{reason="stalled"}');
    const ledBefore = get(before, "cardano_node_metrics_Forge_node_is_leader_int");
    producer.child.kill("SIGSTOP");
    // 3 s of 0.1 s slots at f = 1/2: about 15 leader slots pass; fewer than 3 has probability ~1e-6.
    await new Promise((r) => setTimeout(r, 3000));
    producer.child.kill("SIGCONT");
    const after = await waitFor(
      "the late leader checks",
      async () => {
        const s = await scrape(producer);
        return get(s, 'poolfleet_leader_slots_missed_total{reason="stalled"}') > stalledBefore ? s : undefined;
      },
      20_000,
    );
    const stalled = get(after, 'poolfleet_leader_slots_missed_total{reason="stalled"}') - stalledBefore;
    assert.ok(stalled >= 3 && stalled <= 31, `${stalled} leader slots missed in 3 s stopped`);
    assert.ok(get(after, "cardano_node_metrics_slotsMissedNum_int") >= stalled);
    assert.ok(get(after, "cardano_node_metrics_Forge_node_is_leader_int") >= ledBefore + stalled);
    assert.ok(producer.logs.some((l) => l.includes("the slot loop stalled")));
    // And it forges on afterwards.
    const forged = get(after, "cardano_node_metrics_Forge_adopted_int");
    await waitFor(
      "forging again",
      async () => ((await producer.metric("cardano_node_metrics_Forge_adopted_int")) ?? 0) > forged || undefined,
    );
    assert.equal(await producer.stop(), 0);
  });
});
