// Interop with gouroboros's local state-query client (Go, an independent implementation) on a real
// poolfleet-node's --socket-path: gouroboros acquires the tip and decodes, with its own codecs, the answers to
// the chain point and block number, system start, current era, era history, epoch, Conway protocol parameters,
// stake distribution, stake pools, pool parameters, pool state, stake snapshots, UTxO by address and by input, and
// delegations and rewards; the test compares them with the genesis, the chain database and /api/ledger. An
// acquire at a point that is not on the chain is refused with AcquireFailurePointNotOnChain. gouroboros's local
// tx-monitor client then walks the mempool of a node that does not forge (so the transaction it submitted stays
// there), over the node's node-to-client TCP port: has-tx, next-tx with the submitted bytes, get-sizes. The
// state-query client also reads GetGenesisConfig (compared with the genesis file), GetAccountState (with
// /api/ledger's pots) and GetFilteredVoteDelegatees, and acquires the immutable tip and then that point (a block
// k back). The Go harness in test/interop/gouroboros-lsq is built from the Go module proxy into .cache/go; without Go the test is
// skipped.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { goHarness, haveGo } from "../helpers/go-harness.ts";
import { wallet } from "../helpers/ledger.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const { binary, build } = goHarness("gouroboros-lsq", "gouroboros-lsq");

function run(args: string[], ms: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gouroboros-lsq timed out; stdout ${stdout}; stderr: ${stderr}`));
    }, ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout) as Record<string, unknown>);
      else reject(new Error(`gouroboros-lsq exited with ${code}: ${stderr}; stdout ${stdout}`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "pf-lsq-interop-"));
const devnet = join(dir, "devnet");
const db = join(dir, "db");
const socket = join(dir, "node.socket");
let node: RunningNode | undefined;
after(async () => {
  node?.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface LedgerView {
  epoch: number;
  pools: { poolId: string; vrfKeyHash: string; pledge: string; cost: string; margin: string }[];
  stakeDistribution: Record<string, string>;
  opcertCounters: Record<string, string>;
}

describe(
  "interop with gouroboros's local state-query and tx-monitor clients",
  { skip: haveGo ? false : "no Go toolchain" },
  () => {
    before(
      async () => {
        const problem = build();
        if (problem) throw new Error(problem);
        const r = await runCli(["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"]);
        assert.equal(r.code, 0, r.stderr);
      },
      { timeout: 600_000 },
    );
    // A failed check leaves its node running: end it, or the next test cannot take the socket and the run never ends.
    afterEach(() => {
      node?.child.kill("SIGKILL");
      node = undefined;
    });

    it("answers gouroboros's queries as the genesis, the chain and /api/ledger say", async () => {
      const pool = (f: string) => join(devnet, "pools", "pool1", f);
      node = await startNode([
        "--config",
        join(devnet, "config.json"),
        "--database-path",
        db,
        "--socket-path",
        socket,
        "--shelley-kes-key",
        pool("kes.skey"),
        "--shelley-vrf-key",
        pool("vrf.skey"),
        "--shelley-operational-certificate",
        pool("node.cert"),
      ]);
      // More than k (10) blocks, so that the immutable tip is a block.
      await waitFor(
        "k + 3 forged blocks",
        async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 13,
        60_000,
      );
      const genesis = JSON.parse(readFileSync(join(devnet, "shelley-genesis.json"), "utf8")) as {
        systemStart: string;
        networkMagic: number;
        slotsPerKESPeriod: number;
        maxKESEvolutions: number;
        updateQuorum: number;
        maxLovelaceSupply: number;
        epochLength: number;
        slotLength: number;
        securityParam: number;
        activeSlotsCoeff: number;
        protocolParams: Record<string, number>;
      };
      const ledger = JSON.parse((await node.api("/api/ledger")).body) as LedgerView;
      const [p] = ledger.pools;
      const owner = wallet(
        readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning),
        readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning),
      );
      const genesisTx = bytesToHex(blake2b256(owner.address));

      const r = await run([socket, "42", bytesToHex(owner.address), genesisTx, p!.poolId, owner.stakeHash], 60_000);
      // gouroboros v0.194 decodes GetPoolDistr2's answer without the hard-fork combinator's [result] wrapper that
      // cardano-node puts around every QueryIfCurrent answer (and that gouroboros expects for every other query),
      // so it cannot read cardano-node's answer either; our bytes, [[pools, total]], are checked in
      // local-state-query.test.ts.
      assert.match(
        String(r.poolDistr2Error),
        /PoolDistr2Result \(cannot decode CBOR array to struct with different number/,
      );
      // The same for GetDRepState: gouroboros decodes the answer as a bare map, not [map]
      // (DRepStateResult has no wrapper), so our bytes are checked in local-state-query.test.ts.
      assert.match(
        String(r.drepStateError),
        /cannot unmarshal array into Go value of type localstatequery\.DRepStateResult/,
        String(r.drepStateError),
      );
      const errors = Object.keys(r).filter(
        (k) => k.endsWith("Error") && k !== "poolDistr2Error" && k !== "drepStateError",
      );
      assert.deepEqual(
        errors.map((k) => `${k}: ${String(r[k])}`),
        [],
        "gouroboros decoded every answer",
      );

      assert.equal(r.bogusNotOnChain, true, String(r.bogusAcquire));
      const ledgerAfter = JSON.parse((await node.api("/api/ledger")).body) as { pots: Record<string, string> };
      assert.equal(await node.stop(), 0);
      node = undefined;

      // The chain point is a block of ours, with its block number.
      const point = r.chainPoint as { slot: number; hash: string };
      const store = ChainDb.open(db);
      const blocks = Array.from({ length: store.length }, (_, i) => decodeBlock(store.readBlock(i)).header);
      const block = blocks.find((h) => bytesToHex(h.hash) === point.hash);
      assert.ok(block, `the chain point ${JSON.stringify(point)} is a block of the node's chain`);
      assert.equal(BigInt(point.slot), block.body.slot);
      assert.equal(BigInt(r.chainBlockNo as number), block.body.blockNumber);

      const start = new Date(genesis.systemStart);
      const dayStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
      assert.deepEqual(r.systemStart, {
        year: `${start.getUTCFullYear()}`,
        day: (dayStart - Date.UTC(start.getUTCFullYear(), 0, 1)) / 86_400_000 + 1,
        picoseconds: `${BigInt(start.getTime() - dayStart) * 1_000_000_000n}`,
      });
      assert.equal(r.currentEra, 6);
      const history = r.eraHistory as Record<string, number>[];
      assert.equal(history.length, 7);
      const window = Math.ceil((3 * genesis.securityParam) / genesis.activeSlotsCoeff);
      assert.deepEqual(
        { ...history[6], endSlot: 0, endEpoch: 0 },
        {
          startSlot: 0,
          startEpoch: 0,
          endSlot: 0,
          endEpoch: 0,
          epochLength: genesis.epochLength,
          slotLengthMs: genesis.slotLength * 1000,
          safeZone: window,
        },
      );
      assert.ok(history[6]!.endSlot! >= point.slot + window, "Conway's horizon is past the tip by the safe zone");
      assert.equal(r.epoch, Math.floor(point.slot / genesis.epochLength));
      assert.ok(r.epoch === ledger.epoch || r.epoch === ledger.epoch + 1);

      const pp = r.protocolParams as Record<string, unknown>;
      const g = genesis.protocolParams;
      assert.deepEqual(
        [pp.minFeeA, pp.minFeeB, pp.maxBlockBodySize, pp.maxTxSize, pp.keyDeposit, pp.poolDeposit, pp.eMax, pp.nOpt],
        [g.minFeeA, g.minFeeB, g.maxBlockBodySize, g.maxTxSize, g.keyDeposit, g.poolDeposit, g.eMax, g.nOpt],
      );
      assert.equal(pp.protocolMajor, 10);
      assert.ok((pp.coinsPerUTxOByte as number) > 0);

      // One pool: all the stake, its VRF key, its registration.
      assert.deepEqual(r.stakePools, [p!.poolId]);
      const distr = r.stakeDistribution as Record<string, { stake: string; vrf: string }>;
      assert.deepEqual(Object.keys(distr), [p!.poolId]);
      assert.equal(distr[p!.poolId]!.vrf, p!.vrfKeyHash);
      // Go's big.Rat writes "n/d" always; /api/ledger leaves out "/1".
      const asRat = (text: string) => (text.includes("/") ? text : `${text}/1`);
      assert.equal(distr[p!.poolId]!.stake, asRat(ledger.stakeDistribution[p!.poolId]!));
      const params = (r.poolParams as Record<string, Record<string, unknown>>)[p!.poolId]!;
      assert.equal(params.operator, p!.poolId);
      assert.equal(params.vrf, p!.vrfKeyHash);
      assert.equal(`${params.pledge as number}`, p!.pledge);
      assert.equal(`${params.cost as number}`, p!.cost);
      assert.equal(params.margin, asRat(p!.margin));
      assert.deepEqual((r.poolState as { pools: string[] }).pools, [p!.poolId]);
      const snapshots = r.stakeSnapshots as { pools: Record<string, number[]>; totals: number[] };
      assert.deepEqual(Object.keys(snapshots.pools), [p!.poolId]);
      assert.equal(snapshots.totals.length, 3);

      // The owner's genesis funds, by address and by input.
      const ref = `${genesisTx}#0`;
      const byAddress = r.utxoByAddress as Record<string, string>;
      assert.ok(byAddress[ref], `the genesis output ${ref} among ${JSON.stringify(byAddress)}`);
      const byInput = r.utxoByTxIn as Record<string, { coin: string; address: string }>;
      assert.deepEqual(byInput[ref], { coin: byAddress[ref], address: bytesToHex(owner.address) });
      const delegations = r.delegations as { delegations: Record<string, string>; rewards: Record<string, number> };
      assert.deepEqual(delegations.delegations, { [owner.stakeHash]: p!.poolId });
      assert.deepEqual(Object.keys(delegations.rewards), [owner.stakeHash]);

      // GetGenesisConfig as gouroboros reads it (the current layout: V_21+ negotiated, no extra-config field).
      const gc = r.genesisConfig as Record<string, unknown>;
      assert.deepEqual(
        [gc.networkMagic, gc.networkId, gc.securityParam, gc.epochLength, gc.slotsPerKESPeriod, gc.maxKESEvolutions],
        [42, 0, genesis.securityParam, genesis.epochLength, genesis.slotsPerKESPeriod, genesis.maxKESEvolutions],
      );
      assert.equal(gc.slotLength, genesis.slotLength * 1_000_000, "microseconds");
      assert.deepEqual([gc.updateQuorum, gc.maxLovelaceSupply], [genesis.updateQuorum, genesis.maxLovelaceSupply]);
      assert.deepEqual(
        [gc.systemStartYear, gc.systemStartDay],
        [(r.systemStart as { year: string }).year, (r.systemStart as { day: number }).day],
      );
      assert.deepEqual(
        [gc.minFeeA, gc.minFeeB, gc.keyDeposit, gc.nOpt, gc.protocolMajor, gc.minPoolCost],
        [g.minFeeA, g.minFeeB, g.keyDeposit, g.nOpt, 10, g.minPoolCost],
      );
      assert.equal(gc.extraConfig, false);
      assert.deepEqual([gc.a0, gc.rho], ["[3 10]", "[3 1000]"], "tag-30 ratios, as genesis's 0.3 and 0.003");
      const f = genesis.activeSlotsCoeff;
      assert.equal(gc.activeSlotsCoeff, `[1 ${Math.round(1 / f)}]`, "an untagged [num, den]");
      // Treasury and reserves: /api/ledger's, before or after (an epoch boundary may fall between).
      const account = r.accountState as { treasury: number; reserves: number };
      const pots = [ledger, ledgerAfter].map((l) => {
        const p = (l as unknown as { pots: Record<string, string | number> }).pots;
        return [`${p.treasury}`, `${p.reserves}`];
      });
      assert.ok(
        pots.some(([t, res]) => t === `${account.treasury}` && res === `${account.reserves}`),
        `${JSON.stringify(account)} in ${JSON.stringify(pots)}`,
      );
      assert.equal(r.voteDelegatees, 0, "the owner delegates no votes");
      // The immutable tip: a block k back from a tip between the run's chain point and the end; then that point.
      const immutable = r.immutable as {
        slot: number;
        hash: string;
        block: number;
        pointAgain?: string;
        pointAcquire?: string;
      };
      const immutableBlock = blocks.find((h) => bytesToHex(h.hash) === immutable.hash);
      assert.ok(immutableBlock, "the immutable tip is a block of the chain");
      assert.equal(BigInt(immutable.block), immutableBlock.body.blockNumber);
      assert.ok(immutable.block >= (r.chainBlockNo as number) - genesis.securityParam, `${immutable.block}`);
      assert.ok(immutable.block <= blocks.at(-1)!.body.blockNumber - BigInt(genesis.securityParam));
      // Then that point by its hash: the same chain point — unless a block came in between, which makes the point
      // k + 1 blocks deep, and that is refused as too old.
      if (immutable.pointAcquire === undefined) assert.equal(immutable.pointAgain, immutable.hash);
      else assert.match(immutable.pointAcquire, /too old/i);
    });

    it("shows gouroboros's tx-monitor client, on the TCP port, the transaction it submitted in a mempool snapshot", async () => {
      // No keys: this node forges nothing, so the transaction stays in its mempool. gouroboros reaches it on the
      // node-to-client TCP port this time: the same protocols as on the socket.
      const port = await freePort();
      node = await startNode([
        "--config",
        join(devnet, "config.json"),
        "--database-path",
        `${db}-relay`,
        "--socket-path",
        socket,
        "--node-to-client-port",
        `${port}`,
      ]);
      await waitFor("the local socket", () => existsSync(socket), 30_000);
      const pool = (f: string) => join(devnet, "pools", "pool1", f);
      const payment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
      const owner = wallet(payment, readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning));
      const fee = 400_000n;
      const tx = buildTx(
        {
          inputs: [{ txId: blake2b256(owner.address), index: 0 }],
          outputs: [{ address: owner.address, coin: 1_000_000_000_000n - fee }],
          fee,
        },
        [payment],
      );
      const r = await run(["monitor", `tcp://127.0.0.1:${port}`, "42", bytesToHex(tx.bytes)], 60_000);
      assert.equal(r.txId, bytesToHex(tx.body.id));
      assert.equal(r.submitted, "<nil>", "accepted");
      assert.equal(r.acquire, "<nil>");
      assert.deepEqual([r.hasTx, r.hasTxError, r.hasOther, r.hasOtherError], [true, "<nil>", false, "<nil>"]);
      assert.deepEqual([r.nextTx, r.nextTxError], [bytesToHex(tx.bytes), "<nil>"]);
      assert.deepEqual([r.nextAfter, r.nextAfterError], ["", "<nil>"], "the snapshot holds one transaction");
      const ledger = JSON.parse((await node.api("/api/ledger")).body) as { mempool: { capacityBytes: number } };
      assert.deepEqual([r.sizes, r.sizesError], [[ledger.mempool.capacityBytes, tx.bytes.length, 1], "<nil>"]);
      assert.equal(r.release, "<nil>");
      assert.equal(await node.stop(), 0);
      node = undefined;
    });
  },
);
