// poolfleet-cli's pool queries against a real poolfleet-node's socket on a two-pool devnet whose node forges for
// pool1 only: `query stake-distribution`, `query pool-state` and `query pool-params` in cardano-cli's JSON, checked
// against the genesis's pools and /api/ledger; a bad pool id refused with one line. `query leadership-schedule
// --current | --next` with the nonce and stake from the node, checked slot for slot against the producer's own
// /api/leader-schedule (timing: each waits for a point in the 60 s epoch, at most one epoch). `query
// kes-period-info` without a genesis file (the node's GetGenesisConfig) and with one overriding it, with the
// on-chain counter check: the certificate in use, a new one (one more), one too far
// ahead, and a pool that never forged.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bech32 } from "@scure/base";
import { createDevnet, runCli } from "../helpers/cli.ts";
import { startProducer, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-cli-qpool-"));
const devnet = join(dir, "devnet");
const socket = join(dir, "node.socket");
let node: RunningNode | undefined;
const pool = (name: string, f: string) => join(devnet, "pools", name, f);
const at = ["--socket-path", socket, "--testnet-magic", "42"];

async function query(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(["query", ...args], 60_000);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

interface LedgerView {
  pools: { poolId: string; vrfKeyHash: string; pledge: string; cost: string; margin: string }[];
  stakeDistribution: Record<string, string>;
  opcertCounters: Record<string, string>;
}
const ledger = async () => JSON.parse((await node!.api("/api/ledger")).body) as LedgerView;
const toBech = (hex: string) => bech32.encode("pool", bech32.toWords(Buffer.from(hex, "hex")));

describe("poolfleet-cli pool queries over node-to-client", () => {
  before(
    async () => {
      await createDevnet(devnet, {
        pools: 2,
        slotLength: "0.1",
        activeSlotCoeff: "0.2",
        epochLength: 600,
        slotsPerKesPeriod: 300,
      });
      node = await startProducer(devnet, join(dir, "db"), socket);
      await waitFor("a forged block", async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 1, 60_000);
    },
    { timeout: 180_000 },
  );
  after(() => {
    node?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("query stake-distribution, pool-state and pool-params answer as /api/ledger says", async () => {
    const l = await ledger();
    assert.equal(l.pools.length, 2);
    const distribution = await query(["stake-distribution", ...at]);
    const expected = Object.fromEntries(
      Object.entries(l.stakeDistribution).map(([id, frac]) => {
        const [n, d = "1"] = frac.split("/");
        return [toBech(id), { denominator: Number(d), numerator: Number(n) }];
      }),
    );
    assert.deepEqual(distribution, expected);
    const fractions = Object.values(distribution) as { numerator: number; denominator: number }[];
    assert.equal(fractions.reduce((s, f) => s + f.numerator / f.denominator, 0).toFixed(9), "1.000000000");
    const text = await runCli(["query", "stake-distribution", "--output-text", ...at]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /PoolId\s+Stake frac/);
    for (const id of Object.keys(expected))
      assert.match(text.stdout, new RegExp(`^${id}   \\d\\.\\d{3}e[-+]\\d+$`, "m"));

    const [first] = l.pools;
    const state = await query(["pool-state", "--stake-pool-id", toBech(first!.poolId), ...at]);
    assert.deepEqual(Object.keys(state), [first!.poolId]);
    const entry = state[first!.poolId] as Record<string, Record<string, unknown> | null>;
    assert.deepEqual(Object.keys(entry).sort(), ["futurePoolParams", "poolParams", "retiring"]);
    assert.equal(entry.futurePoolParams, null);
    assert.equal(entry.retiring, null);
    const params = entry.poolParams!;
    assert.deepEqual(Object.keys(params).sort(), [
      "cost",
      "margin",
      "metadata",
      "owners",
      "pledge",
      "publicKey",
      "relays",
      "rewardAccount",
      "vrf",
    ]);
    const [mn, md = "1"] = first!.margin.split("/");
    assert.deepEqual(
      [params.publicKey, params.vrf, params.pledge, params.cost, params.margin],
      [first!.poolId, first!.vrfKeyHash, Number(first!.pledge), Number(first!.cost), Number(mn) / Number(md)],
    );
    const account = params.rewardAccount as { network: string; credential: { keyHash: string } };
    assert.equal(account.network, "Testnet");
    assert.match(account.credential.keyHash, /^[0-9a-f]{56}$/);
    assert.ok((params.owners as string[]).includes(account.credential.keyHash), "the reward account is an owner's");

    // pool-params is cardano-cli's deprecated alias: the same answer; --all-stake-pools shows both pools.
    assert.deepEqual(await query(["pool-params", "--stake-pool-id", first!.poolId, ...at]), state);
    const all = await query(["pool-state", "--all-stake-pools", ...at]);
    assert.deepEqual(Object.keys(all), l.pools.map((p) => p.poolId).sort());

    const bad = await runCli(["query", "pool-state", "--stake-pool-id", "pool1nope", ...at]);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(bad.stderr, /is not a pool id/);
    const neither = await runCli(["query", "pool-state", ...at]);
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /give either --stake-pool-id or --all-stake-pools/);
  });

  it("query leadership-schedule --current and --next print the slots the producer's /api/leader-schedule lists", async () => {
    const genesisFile = join(devnet, "shelley-genesis.json");
    const g = JSON.parse(readFileSync(genesisFile, "utf8")) as {
      systemStart: string;
      slotLength: number;
      epochLength: number;
    };
    const slotMs = g.slotLength * 1000;
    const slotNow = () => Math.floor((Date.now() - Date.parse(g.systemStart)) / slotMs);
    const [poolId] = Object.keys((await ledger()).opcertCounters); // only pool1 forges
    assert.match(poolId!, /^[0-9a-f]{56}$/);
    const schedule = async (which: string) => {
      const r = await runCli([
        "query",
        "leadership-schedule",
        which,
        "--stake-pool-id",
        toBech(poolId!),
        "--vrf-signing-key-file",
        pool("pool1", "vrf.skey"),
        "--genesis",
        genesisFile,
        "--output-json",
        ...at,
      ]);
      return r;
    };
    const apiSlots = async () => {
      const body = JSON.parse((await node!.api("/api/leader-schedule?minutes=3")).body) as {
        slots: { slot: string }[];
      };
      return body.slots.map((s) => Number(s.slot));
    };
    const within = (slots: number[], from: number, to: number) => slots.filter((s) => s >= from && s < to);

    // --current, with at least 250 slots of the epoch left so the overlap with the node's coming slots is not empty.
    await waitFor("250 slots left in the epoch", () => g.epochLength - (slotNow() % g.epochLength) > 250, 70_000);
    const epoch = Math.floor(slotNow() / g.epochLength);
    const r = await schedule("--current");
    assert.equal(r.code, 0, r.stderr);
    const current = (JSON.parse(r.stdout) as { slotNumber: number; slotTime: string }[]).map((s) => s.slotNumber);
    const [start, end] = [epoch * g.epochLength, (epoch + 1) * g.epochLength];
    assert.deepEqual(within(current, start, end), current, "every slot in the current epoch");
    const api = await apiSlots();
    const from = slotNow() + 1;
    const coming = within(current, from, end);
    assert.ok(coming.length > 0, "the rest of the epoch has leader slots (about 1 slot in 10)");
    assert.deepEqual(coming, within(api, from, end));

    // --next before its nonce is fixed: one line, non-zero. Then, in the last 4k/f = 200 slots, the next epoch.
    if (slotNow() % g.epochLength < g.epochLength - 210) {
      const early = await schedule("--next");
      assert.notEqual(early.code, 0);
      assert.match(early.stderr, /nonce is not fixed until slot \d+/);
      assert.equal(early.stderr.trim().split("\n").length, 1, early.stderr);
    }
    await waitFor("the next epoch's nonce fixed", () => slotNow() % g.epochLength >= g.epochLength - 190, 70_000);
    const nextEpoch = Math.floor(slotNow() / g.epochLength) + 1;
    // The node's tip, not this clock, fixes the nonce: a tip a slot or two behind still refuses (CI saw "not fixed
    // until slot 400 (the node's tip is at slot 399)"), so ask again while it says exactly that.
    const n = await waitFor(
      "the node to answer --next",
      async () => {
        const r = await schedule("--next");
        if (r.code === 0) return r;
        assert.match(r.stderr, /nonce is not fixed until slot \d+/, r.stderr);
        return undefined;
      },
      10_000,
    );
    const next = (JSON.parse(n.stdout) as { slotNumber: number }[]).map((s) => s.slotNumber);
    const [nextStart, nextEnd] = [nextEpoch * g.epochLength, (nextEpoch + 1) * g.epochLength];
    assert.ok(next.length > 0, "the next epoch has leader slots");
    assert.deepEqual(within(next, nextStart, nextEnd), next);
    assert.deepEqual(next, within(await apiSlots(), nextStart, nextEnd));
  });

  it("query kes-period-info reads the opcert counter on chain and says which certificate the node will accept", async () => {
    const genesisFile = join(devnet, "shelley-genesis.json");
    const onChain = (await ledger()).opcertCounters;
    const [poolId] = Object.keys(onChain);
    // Without --shelley-genesis: the KES period length, evolutions and slot clock come from the node
    // (GetGenesisConfig), as with cardano-cli; with it, the file overrides the node.
    const kesInfo = async (cert: string, genesis?: string) => {
      const out = join(dir, "kes-info.json");
      const r = await runCli([
        "query",
        "kes-period-info",
        "--op-cert-file",
        cert,
        ...(genesis === undefined ? [] : ["--shelley-genesis", genesis]),
        "--out-file",
        out,
        ...at,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return { text: r.stdout, info: JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown> };
    };
    const tipBefore = (await query(["tip", ...at])).slot as number;
    const inUse = await kesInfo(pool("pool1", "node.cert"));
    const tipAfter = (await query(["tip", ...at])).slot as number;
    assert.deepEqual(Object.keys(inUse.info).sort(), [
      "qKesCurrentKesPeriod",
      "qKesEndKesInterval",
      "qKesKesKeyExpiry",
      "qKesMaxKESEvolutions",
      "qKesNodeStateOperationalCertificateNumber",
      "qKesOnDiskOperationalCertificateNumber",
      "qKesRemainingSlotsInKesPeriod",
      "qKesSlotsPerKesPeriod",
      "qKesStartKesInterval",
    ]);
    const i = inUse.info;
    assert.equal(i.qKesNodeStateOperationalCertificateNumber, Number(onChain[poolId!]));
    assert.equal(i.qKesOnDiskOperationalCertificateNumber, 0);
    assert.deepEqual(
      [i.qKesStartKesInterval, i.qKesEndKesInterval, i.qKesSlotsPerKesPeriod, i.qKesMaxKESEvolutions],
      [0, 62, 300, 62],
    );
    const period = i.qKesCurrentKesPeriod as number;
    assert.ok(period >= Math.floor(tipBefore / 300) && period <= Math.floor(tipAfter / 300), `period ${period}`);
    const left = i.qKesRemainingSlotsInKesPeriod as number;
    assert.ok(left <= 62 * 300 - tipBefore && left >= 62 * 300 - tipAfter, `${left} slots left`);
    const start = Date.parse((JSON.parse(readFileSync(genesisFile, "utf8")) as { systemStart: string }).systemStart);
    assert.equal(Date.parse(i.qKesKesKeyExpiry as string), start + 62 * 300 * 100);
    assert.match(inUse.text, /^✓ Operational certificate's KES period is within the correct KES period interval$/m);
    assert.match(inUse.text, /^✓ The operational certificate counter agrees with the node protocol state counter$/m);
    assert.match(inUse.text, /counter: 0 \(the on-chain counter: the certificate in use\)/);
    // The same with a genesis file saying 150 slots per KES period: the file wins over the node's 300.
    const halved = join(dir, "halved-kes-genesis.json");
    const doc = JSON.parse(readFileSync(genesisFile, "utf8")) as Record<string, unknown>;
    writeFileSync(halved, JSON.stringify({ ...doc, slotsPerKESPeriod: 150 }));
    const overridden = (await kesInfo(pool("pool1", "node.cert"), halved)).info;
    assert.equal(overridden.qKesSlotsPerKesPeriod, 150);
    assert.equal(overridden.qKesEndKesInterval, 62);
    assert.ok((overridden.qKesCurrentKesPeriod as number) >= Math.floor(tipBefore / 150));

    // A new certificate from a copy of the cold counter: one more is accepted, two more is not.
    const counter = join(dir, "cold.counter");
    copyFileSync(pool("pool1", "cold.counter"), counter);
    const issue = async (out: string) => {
      const r = await runCli([
        "node",
        "issue-op-cert",
        "--kes-verification-key-file",
        pool("pool1", "kes.vkey"),
        "--cold-signing-key-file",
        pool("pool1", "cold.skey"),
        "--operational-certificate-issue-counter-file",
        counter,
        "--kes-period",
        String(period),
        "--out-file",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return out;
    };
    const next = await kesInfo(await issue(join(dir, "next.cert")));
    assert.equal(next.info.qKesOnDiskOperationalCertificateNumber, 1);
    assert.equal(next.info.qKesStartKesInterval, period);
    assert.match(next.text, /^✓ The operational certificate counter agrees/m);
    assert.match(next.text, /counter: 1 \(one more than the on-chain counter/);
    const ahead = await kesInfo(await issue(join(dir, "ahead.cert")));
    assert.equal(ahead.info.qKesOnDiskOperationalCertificateNumber, 2);
    assert.match(
      ahead.text,
      /^✗ The operational certificate at: .*ahead\.cert has an issue number that is too far ahead/m,
    );

    // pool2 never forged: no counter on chain.
    const never = await kesInfo(pool("pool2", "node.cert"));
    assert.equal(never.info.qKesNodeStateOperationalCertificateNumber, null);
    assert.match(never.text, /^✗ No blocks minted so far with the operational certificate at: .*pool2\/node\.cert$/m);
  });
});
