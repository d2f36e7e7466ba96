// Node-to-client benchmarks (issue 18): one poolfleet-node (a relay, no keys) serving a chain of N blocks (the first
// 2,000 with 5 transactions each) on --socket-path and on its node-to-node port, measured side by side in one run:
//   - local chain-sync from origin to the tip on the socket (whole blocks, as cardano-node serves local clients);
//   - node-to-node chain-sync + block-fetch of the same chain (headers one by one, bodies in ranges of 100, as our
//     own sync fetches), so the two serving paths are compared on the same blocks, bytes and machine;
//   - local state-query round trips at an acquired tip: GetCurrentPParams, GetEpochNo, GetUTxOByAddress (a linear
//     pass over the whole UTxO, as cardano-node's), p50/p99 over a few hundred of each, and the acquire itself
//     (it copies the ledger's maps).
// The clients are poolfleet's own protocol drivers, in this process; no validation on the client side (a header is
// decoded only to name its point for block-fetch).
// Alone: node bench/n2c.ts [--blocks N] [--queries N]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeBlock } from "../src/chain/block.ts";
import { decodeHeader } from "../src/chain/header.ts";
import { type CborValue, encodeCbor } from "../src/codec/cbor.ts";
import { bytesToHex, hexToBytes } from "../src/crypto/bytes.ts";
import { KEY_KINDS, readKeyFile } from "../src/formats/keys.ts";
import { buildTx } from "../src/ledger/tx-build.ts";
import type { Tx } from "../src/ledger/tx.ts";
import { freePort } from "../src/cli/devnet/processes.ts";
import { main as cli } from "../src/cli/main.ts";
import { handshakeSpec } from "../src/network/handshake.ts";
import { N2C_PROTOCOL } from "../src/network/limits.ts";
import { localChainSyncSpec } from "../src/network/local-chain-sync.ts";
import { localStateQuerySpec } from "../src/network/local-state-query.ts";
import { Mux } from "../src/network/mux.ts";
import { encodeN2cVersionData, N2C_VERSIONS } from "../src/network/n2c-handshake.ts";
import { connectPeer } from "../src/network/peer.ts";
import type { BlockPoint } from "../src/network/points.ts";
import { Driver } from "../src/network/protocol.ts";
import { NodeChain } from "../src/node/chain.ts";
import { loadNetwork } from "../src/node/config.ts";
import { forgeForSlot } from "../src/node/forge.ts";
import { loadProducerKeys } from "../src/node/producer-keys.ts";
import { ChainDb } from "../src/storage/chain-db.ts";
import { saveSnapshot } from "../src/storage/snapshots.ts";

const TX_BLOCKS = 2_000;
const TXS_PER_BLOCK = 5;
const MAGIC = 42;
const WAIT = () => 60_000;

const row = (name: string, figure: string, note: string) =>
  console.log(`${name.padEnd(28)}${figure.padStart(9)} ${note}`);

async function buildChain(root: string, blocks: number) {
  const devnet = join(root, "devnet");
  const quiet = { out() {}, err: (l: string) => console.error(l), stderrIsTTY: false, progress() {} };
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - Math.ceil(blocks * 0.1 + 60) * 1000);
  const argv = ["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"];
  argv.push("--epoch-length", "100000", "--active-slot-coeff", "1");
  argv.push("--start-time", start.toISOString().replace(/\.\d{3}Z$/, "Z"));
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
  const payer = readKeyFile(p("payment.skey"), KEY_KINDS.paymentSigning);
  const owner = [...chain.ledger.utxo][0]!;
  const ownerAddress = owner[1].address;
  // Payments go to another address (the owner's with one payment-key byte changed: nobody can spend it), so the
  // owner's own address keeps one output, the change.
  const sink = Uint8Array.from(ownerAddress);
  sink[1] = sink[1]! ^ 0xff;
  let change = { txId: hexToBytes(owner[0].split("#")[0]!), index: 0, coin: owner[1].coin };
  const txsFor = (blockIndex: number): Tx[] =>
    blockIndex >= TX_BLOCKS
      ? []
      : Array.from({ length: TXS_PER_BLOCK }, () => {
          const fee = 200_000n;
          const tx = buildTx(
            {
              inputs: [{ txId: change.txId, index: change.index }],
              outputs: [
                { address: sink, coin: 2_000_000n },
                { address: ownerAddress, coin: change.coin - 2_000_000n - fee },
              ],
              fee,
            },
            [payer],
          );
          change = { txId: tx.body.id, index: 1, coin: change.coin - 2_000_000n - fee };
          return tx;
        });
  const dbPath = join(root, "db");
  const db = ChainDb.open(dbPath);
  let bytes = 0;
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
    bytes += outcome.block.length;
    if (db.length % 5000 === 0) process.stderr.write(`\r  built ${db.length}/${blocks} blocks`);
  }
  db.sync();
  saveSnapshot(dbPath, { blockCount: db.length, tipHash: bytesToHex(db.tip!.hash), state: chain.toJson() });
  db.close();
  process.stderr.write("\r");
  return { devnet, dbPath, ownerAddress, utxo: chain.ledger.utxo.size, bytes };
}

async function openLocal(path: string): Promise<Mux> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ path }, () => resolve(s));
    s.once("error", reject);
  });
  const mux = new Mux(socket, { label: "bench-n2c" });
  const hs = new Driver(mux.channel(N2C_PROTOCOL.handshake, "initiator", 5760), handshakeSpec, "client", WAIT);
  const data = encodeN2cVersionData({ networkMagic: MAGIC, query: false });
  hs.send({ type: "MsgProposeVersions", versions: new Map(N2C_VERSIONS.map((v) => [v, data] as const)) });
  const reply = await hs.recv();
  if (reply.type !== "MsgAcceptVersion") throw new Error(`handshake: ${reply.type}`);
  return mux;
}

/** Local chain-sync from origin until the tip: blocks, bytes (of the blocks as sent) and seconds. */
async function localChainSync(path: string, blocks: number) {
  const mux = await openLocal(path);
  const cs = new Driver(
    mux.channel(N2C_PROTOCOL.localChainSync, "initiator", 64 * 1024 * 1024),
    localChainSyncSpec,
    "client",
    WAIT,
  );
  const t0 = performance.now();
  cs.send({ type: "MsgFindIntersect", points: ["origin"] });
  const found = await cs.recv();
  if (found.type !== "MsgIntersectFound") throw new Error(`local chain-sync: ${found.type}`);
  let n = 0;
  let bytes = 0;
  while (n < blocks) {
    cs.send({ type: "MsgRequestNext" });
    const m = await cs.recv();
    if (m.type === "MsgRollForward") {
      n++;
      bytes += m.block.bytes.length;
    } else if (m.type !== "MsgRollBackward") throw new Error(`local chain-sync: ${m.type} after ${n} blocks`);
  }
  const seconds = (performance.now() - t0) / 1000;
  mux.close("done");
  return { n, bytes, seconds };
}

/** Node-to-node chain-sync (one header at a time) and block-fetch (ranges of up to 100) from origin to the tip. */
async function nodeToNodeSync(port: number, blocks: number) {
  const conn = await connectPeer("127.0.0.1", port, { magic: MAGIC });
  const t0 = performance.now();
  await conn.chainSync.findIntersect(["origin"]);
  let n = 0;
  let bytes = 0;
  let batch: BlockPoint[] = [];
  const fetch = async () => {
    if (batch.length === 0) return;
    for await (const b of conn.blockFetch.stream(batch[0]!, batch.at(-1)!)) {
      n++;
      bytes += b.bytes.length;
    }
    batch = [];
  };
  let headers = 0;
  while (headers < blocks) {
    const e = await conn.chainSync.requestNext();
    if (e.kind !== "forward") continue;
    headers++;
    const h = decodeHeader(e.header.bytes);
    batch.push({ slot: h.body.slot, hash: h.hash });
    if (batch.length === 100) await fetch();
  }
  await fetch();
  const seconds = (performance.now() - t0) / 1000;
  conn.close("done");
  if (n !== blocks) throw new Error(`node-to-node: fetched ${n} of ${blocks} blocks`);
  return { n, bytes, seconds };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function stateQueries(path: string, rounds: number, address: Uint8Array) {
  const mux = await openLocal(path);
  const lsq = new Driver(
    mux.channel(N2C_PROTOCOL.localStateQuery, "initiator", 64 * 1024 * 1024),
    localStateQuerySpec,
    "client",
    WAIT,
  );
  const acquires: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    lsq.send({ type: i === 0 ? "MsgAcquire" : "MsgReAcquire", target: "tip" });
    const m = await lsq.recv();
    if (m.type !== "MsgAcquired") throw new Error(`acquire: ${m.type}`);
    acquires.push(performance.now() - t);
  }
  const conway = (...q: CborValue[]): Uint8Array => encodeCbor([0, [0, [6, q]]]);
  const queries: [string, Uint8Array][] = [
    ["GetCurrentPParams", conway(3)],
    ["GetEpochNo", conway(1)],
    ["GetUTxOByAddress", conway(6, [address])],
  ];
  const results: Record<string, number[]> = { acquire: acquires };
  for (const [name, bytes] of queries) {
    const times: number[] = [];
    for (let i = 0; i < rounds + 20; i++) {
      const t = performance.now();
      lsq.send({ type: "MsgQuery", query: bytes });
      const m = await lsq.recv();
      if (m.type !== "MsgResult") throw new Error(`${name}: ${m.type}`);
      if (i >= 20) times.push(performance.now() - t); // the first 20 warm up
    }
    results[name] = times;
  }
  lsq.send({ type: "MsgRelease" });
  mux.close("done");
  return results;
}

export async function benchN2c(blocks: number, rounds: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pf-bench-n2c-"));
  try {
    const chain = await buildChain(root, blocks);
    const bin = fileURLToPath(new URL("../bin/poolfleet-node.js", import.meta.url));
    const metrics = await freePort();
    const port = await freePort();
    const socket = join(root, "node.socket");
    const child = spawn(
      process.execPath,
      [
        bin,
        "run",
        "--config",
        join(chain.devnet, "config.json"),
        "--database-path",
        chain.dbPath,
        "--metrics-port",
        `${metrics}`,
        "--port",
        `${port}`,
        "--socket-path",
        socket,
      ],
      { stdio: "ignore" },
    );
    try {
      for (let i = 0; i < 1200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
      const mb = (x: number) => x / 1024 / 1024;
      console.log(
        `  a ${blocks}-block chain, ${mb(chain.bytes).toFixed(1)} MB of blocks, ${chain.utxo} UTxO entries, one node serving both`,
      );
      // Each path twice, alternating, so neither gets the warm page cache alone; the better run of each counts.
      const local = [];
      const n2n = [];
      for (let i = 0; i < 2; i++) {
        local.push(await localChainSync(socket, blocks));
        n2n.push(await nodeToNodeSync(port, blocks));
      }
      type Run = { n: number; bytes: number; seconds: number };
      const best = (runs: Run[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      for (const [name, r] of [
        ["local chain-sync (N2C)", best(local)],
        ["chain-sync+block-fetch (N2N)", best(n2n)],
      ] as const) {
        row(
          name,
          `${Math.round(r.n / r.seconds)}`,
          `blocks/s, ${(mb(r.bytes) / r.seconds).toFixed(1)} MB/s (${r.n} blocks from origin in ${r.seconds.toFixed(1)} s)`,
        );
      }
      const lsq = await stateQueries(socket, rounds, chain.ownerAddress);
      for (const [name, times] of Object.entries(lsq)) {
        row(
          `lsq ${name}`,
          `${pct(times, 50).toFixed(2)}`,
          `ms p50, ${pct(times, 99).toFixed(2)} ms p99 (${times.length} round trips${name === "GetUTxOByAddress" ? `, over ${chain.utxo} UTxO entries` : ""})`,
        );
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const blocks = Number(args[args.indexOf("--blocks") + 1] ?? 0) || 20_000;
  const rounds = Number(args[args.indexOf("--queries") + 1] ?? 0) || 300;
  await benchN2c(blocks, rounds);
}
