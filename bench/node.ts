// Node benchmarks: build a real chain of N blocks (forge, validate, store; the first 10,000 with transactions),
// replay those 10,000 (decode, header validation, ledger), then time a poolfleet-node restart on the whole chain and read its idle resident memory.
// Targets: restart under 5 s with 100,000 blocks; idle RSS under 150 MB.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeBlock } from "../src/chain/block.ts";
import { bytesToHex, hexToBytes } from "../src/crypto/bytes.ts";
import { KEY_KINDS, readKeyFile } from "../src/formats/keys.ts";
import { topologyJson } from "../src/formats/topology.ts";
import { buildTx } from "../src/ledger/tx-build.ts";
import type { Tx } from "../src/ledger/tx.ts";
import { NodeChain } from "../src/node/chain.ts";
import { loadNetwork } from "../src/node/config.ts";
import { forgeForSlot } from "../src/node/forge.ts";
import { loadProducerKeys } from "../src/node/producer-keys.ts";
import { ChainDb } from "../src/storage/chain-db.ts";
import { saveSnapshot } from "../src/storage/snapshots.ts";
import { freePort } from "../src/cli/devnet/processes.ts";
import { main as cli } from "../src/cli/main.ts";

const TX_BLOCKS = 10_000;
const TXS_PER_BLOCK = 5;

export async function benchNode(blocks: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pf-bench-node-"));
  const devnet = join(root, "devnet");
  const quiet = { out() {}, err: (l: string) => console.error(l), stderrIsTTY: false, progress() {} };
  // f = 1: every slot is led, so N blocks take N slots; the chain starts far enough in the past.
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - Math.ceil(blocks * 0.1 + 60) * 1000);
  const argv = [
    "genesis",
    "create",
    "--pools",
    "1",
    "--out-dir",
    devnet,
    "--slot-length",
    "0.1",
    "--epoch-length",
    "10000",
    "--active-slot-coeff",
    "1",
    "--start-time",
    start.toISOString().replace(/\.\d{3}Z$/, "Z"),
  ];
  if ((await cli(argv, quiet)) !== 0) throw new Error("genesis create failed");
  const net = loadNetwork(join(devnet, "config.json"));
  const p = (f: string) => join(devnet, "pools", "pool1", f);
  const chain = NodeChain.genesis(net);
  const gate = loadProducerKeys(
    { kes: p("kes.skey"), vrf: p("vrf.skey"), opcert: p("node.cert") },
    net.clock,
    (id) => chain.registeredVrfKeyHash(id),
    () => undefined,
    start,
  );
  if (!gate.forging) throw new Error(gate.reason);
  // The first 10,000 blocks carry transactions: each a payment from the genesis owner that spends the change of
  // the one before, so every block's transactions depend on the previous block's.
  const payer = readKeyFile(p("payment.skey"), KEY_KINDS.paymentSigning);
  const owner = [...chain.ledger.utxo][0]!;
  let change = { txId: hexToBytes(owner[0].split("#")[0]!), index: 0, coin: owner[1].coin, address: owner[1].address };
  const sink = owner[1].address;
  const txsFor = (blockIndex: number): Tx[] => {
    if (blockIndex >= TX_BLOCKS) return [];
    return Array.from({ length: TXS_PER_BLOCK }, () => {
      const fee = 200_000n;
      const tx = buildTx(
        {
          inputs: [{ txId: change.txId, index: change.index }],
          outputs: [
            { address: sink, coin: 2_000_000n },
            { address: change.address, coin: change.coin - 2_000_000n - fee },
          ],
          fee,
        },
        [payer],
      );
      change = { ...change, txId: tx.body.id, index: 1, coin: change.coin - 2_000_000n - fee };
      return tx;
    });
  };
  const dbPath = join(root, "db");
  const db = ChainDb.open(dbPath);
  const t0 = performance.now();
  for (let slot = 1n; db.length < blocks; slot++) {
    const txs = txsFor(db.length);
    const outcome = forgeForSlot(slot, chain.state, net.rules, chain.ledger.poolDistr, gate.keys, () => txs);
    if (outcome.kind !== "forged") throw new Error(`slot ${slot}: ${outcome.kind}`);
    const r = chain.applyBlock(decodeBlock(outcome.block));
    if (!r.ok) throw new Error(r.message);
    db.append(
      outcome.block,
      { slot, blockNo: outcome.header.body.blockNumber, hash: outcome.header.hash },
      { sync: false },
    );
    if (db.length % 10000 === 0) process.stderr.write(`\r  built ${db.length}/${blocks} blocks`);
  }
  db.sync();
  saveSnapshot(dbPath, { blockCount: db.length, tipHash: bytesToHex(db.tip!.hash), state: chain.toJson() });
  process.stderr.write("\r");
  const built = (performance.now() - t0) / 1000;
  console.log(
    `${"chain build (forge+validate)".padEnd(28)}${Math.round(blocks / built)
      .toString()
      .padStart(
        9,
      )} blocks/s (${blocks} blocks in ${built.toFixed(1)} s; ${Math.min(blocks, TX_BLOCKS) * TXS_PER_BLOCK} transactions)`,
  );

  const replayCount = Math.min(TX_BLOCKS, db.length);
  for (const reapply of [false, true]) {
    const replay = NodeChain.genesis(net);
    const t1 = performance.now();
    for (let i = 0; i < replayCount; i++) {
      const r = replay.applyBlock(decodeBlock(db.readBlock(i)), { reapply });
      if (!r.ok) throw new Error(`replay ${i}: ${r.message}`);
    }
    const seconds = (performance.now() - t1) / 1000;
    console.log(
      `${(reapply ? "replay, own db (reapply)" : "replay (full validation)").padEnd(28)}${Math.round(
        replayCount / seconds,
      )
        .toString()
        .padStart(
          9,
        )} blocks/s (${replayCount} blocks with ${TXS_PER_BLOCK} transactions each: ${Math.round((replayCount * TXS_PER_BLOCK) / seconds)} tx/s)`,
    );
  }
  db.close();

  const bin = fileURLToPath(new URL("../bin/poolfleet-node.js", import.meta.url));
  const port = await freePort();
  const n2nPort = await freePort();
  const t2 = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      dbPath,
      "--metrics-port",
      String(port),
      "--port",
      String(n2nPort),
    ],
    { stdio: "ignore" },
  );
  let restart = NaN;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).status === 200) {
        restart = (performance.now() - t2) / 1000;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  console.log(
    `${`restart, ${blocks} blocks`.padEnd(28)}${restart.toFixed(2).padStart(9)} s to /ready (process start included); target < 5 s: ${restart < 5 ? "MET" : "MISSED"}`,
  );
  await new Promise((r) => setTimeout(r, 3000));
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
  console.log(
    `${"idle node resident memory".padEnd(28)}${(rssKb / 1024).toFixed(0).padStart(9)} MB (relay on the chain above); target < 150 MB: ${rssKb / 1024 < 150 ? "MET" : "MISSED"}`,
  );
  await benchSync(bin, devnet, root, n2nPort, blocks);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(root, { recursive: true, force: true });
}

/**
 * Chain-sync plus block-fetch between two nodes: a fresh relay whose topology names the node serving the chain
 * syncs from it (every block fully validated, as from any peer), for at most 60 s.
 */
async function benchSync(bin: string, devnet: string, root: string, servingPort: number, blocks: number) {
  const topology = join(root, "sync-topology.json");
  writeFileSync(topology, topologyJson([{ address: "127.0.0.1", port: servingPort }]));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      "--config",
      join(devnet, "config.json"),
      "--topology",
      topology,
      "--database-path",
      join(root, "sync-db"),
      "--metrics-port",
      String(port),
      "--port",
      "0",
    ],
    { stdio: "ignore" },
  );
  const tipBlock = async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/^poolfleet_tip_block (\S+)$/m.exec(text)?.[1] ?? -1);
    } catch {
      return -1;
    }
  };
  let first = NaN;
  let firstBlock = 0;
  let last = -1;
  const deadline = performance.now() + 90_000;
  while (performance.now() < deadline) {
    last = await tipBlock();
    if (Number.isNaN(first) && last >= 0) {
      first = performance.now();
      firstBlock = last;
    }
    if (!Number.isNaN(first) && (last >= blocks - 1 || performance.now() - first > 60_000)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - first) / 1000;
  const synced = last - firstBlock;
  console.log(
    `${"sync between two nodes".padEnd(28)}${Math.round(synced / seconds)
      .toString()
      .padStart(9)} blocks/s (chain-sync + block-fetch + full validation; ${synced} blocks in ${seconds.toFixed(1)} s)`,
  );
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}
