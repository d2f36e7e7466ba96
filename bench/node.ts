// Node benchmarks: build a real chain of N blocks (forge, validate, store), replay 10,000 of them (decode +
// full validation), then time a poolfleet-node restart on the whole chain and read its idle resident memory.
// Targets: restart under 5 s with 100,000 blocks; idle RSS under 150 MB.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeBlock } from "../src/chain/block.ts";
import { applyHeader, chainStateToJson, initialChainState } from "../src/consensus/chain-state.ts";
import { bytesToHex } from "../src/crypto/bytes.ts";
import { loadNetwork } from "../src/node/config.ts";
import { forgeForSlot } from "../src/node/forge.ts";
import { loadProducerKeys } from "../src/node/producer-keys.ts";
import { ChainDb } from "../src/storage/chain-db.ts";
import { saveSnapshot } from "../src/storage/snapshots.ts";
import { main as cli } from "../src/cli/main.ts";

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
  const gate = loadProducerKeys(
    { kes: p("kes.skey"), vrf: p("vrf.skey"), opcert: p("node.cert") },
    net.clock,
    net.stake,
    () => undefined,
    start,
  );
  if (!gate.forging) throw new Error(gate.reason);
  const dbPath = join(root, "db");
  const db = ChainDb.open(dbPath);
  let state = initialChainState(net.genesis.hash);
  const t0 = performance.now();
  for (let slot = 1n; db.length < blocks; slot++) {
    const outcome = forgeForSlot(slot, state, net.rules, gate.keys);
    if (outcome.kind !== "forged") throw new Error(`slot ${slot}: ${outcome.kind}`);
    const r = applyHeader(state, outcome.header, net.rules);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    db.append(
      outcome.block,
      { slot, blockNo: outcome.header.body.blockNumber, hash: outcome.header.hash },
      { sync: false },
    );
    state = r.state;
    if (db.length % 10000 === 0) process.stderr.write(`\r  built ${db.length}/${blocks} blocks`);
  }
  db.sync();
  saveSnapshot(dbPath, { blockCount: db.length, tipHash: bytesToHex(db.tip!.hash), state: chainStateToJson(state) });
  process.stderr.write("\r");
  const built = (performance.now() - t0) / 1000;
  console.log(
    `${"chain build (forge+validate)".padEnd(28)}${Math.round(blocks / built)
      .toString()
      .padStart(9)} blocks/s (${blocks} blocks in ${built.toFixed(1)} s)`,
  );

  const replayCount = Math.min(10000, db.length);
  let replayState = initialChainState(net.genesis.hash);
  const t1 = performance.now();
  for (let i = 0; i < replayCount; i++) {
    const r = applyHeader(replayState, decodeBlock(db.readBlock(i)).header, net.rules);
    if (!r.ok) throw new Error(`replay ${i}: ${r.errors[0]!.message}`);
    replayState = r.state;
  }
  const replay = (performance.now() - t1) / 1000;
  console.log(
    `${"replay (read+decode+validate)".padEnd(28)}${Math.round(replayCount / replay)
      .toString()
      .padStart(9)} blocks/s (${replayCount} blocks; empty blocks: no transactions yet)`,
  );
  db.close();

  const bin = fileURLToPath(new URL("../bin/poolfleet-node.js", import.meta.url));
  const port = 12900 + Math.floor(Math.random() * 500);
  const t2 = performance.now();
  const child = spawn(
    process.execPath,
    [bin, "run", "--config", join(devnet, "config.json"), "--database-path", dbPath, "--metrics-port", String(port)],
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
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(root, { recursive: true, force: true });
}
