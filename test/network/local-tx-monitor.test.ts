// Local tx-monitor over a real Unix socket against a real mempool on a devnet ledger: a snapshot walked with
// next-tx (each transaction's bytes as submitted, Conway era index), has-tx and get-sizes; the snapshot stays as
// acquired while the mempool changes; await-acquire answers once the mempool differs; a request outside the
// state machine closes the connection.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { Mempool } from "../../src/ledger/mempool.ts";
import { decodeTx } from "../../src/ledger/tx.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { handshakeSpec } from "../../src/network/handshake.ts";
import { N2C_PROTOCOL } from "../../src/network/limits.ts";
import { localTxMonitorSpec } from "../../src/network/local-tx-monitor.ts";
import { Mux } from "../../src/network/mux.ts";
import { encodeN2cVersionData, N2C_VERSIONS } from "../../src/network/n2c-handshake.ts";
import { listenLocal } from "../../src/network/n2c.ts";
import { Driver } from "../../src/network/protocol.ts";
import { message } from "../../src/network/wire.ts";
import { mempoolSnapshot } from "../../src/node/local-socket.ts";
import { devnetLedger, spend } from "../helpers/ledger.ts";
import { MAGIC, sdu } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-txmon-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const ledger = devnetLedger(2);
const mempool = new Mempool(1_000_000);
const at = { state: ledger.state, params: ledger.params, slot: 10n, epoch: 0 };
const txs = ledger.owners.map((o) =>
  spend(ledger.state, ledger.params, o, { outputs: [{ address: o.address, coin: 5_000_000n }] }),
);
let n = 0;

async function client() {
  const path = join(dir, `n${++n}.socket`);
  const server = await listenLocal(path, {
    magic: MAGIC,
    source: new MemoryChainSource(),
    submitTx: () => ({ accepted: true }),
    mempool: () => mempoolSnapshot(mempool, 77n),
  });
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ path }, () => resolve(s));
    s.once("error", reject);
  });
  const mux = new Mux(socket, { label: "test client" });
  const hs = new Driver(mux.channel(0, "initiator", 5760), handshakeSpec, "client", () => 5000);
  const data = encodeN2cVersionData({ networkMagic: MAGIC, query: false });
  hs.send({ type: "MsgProposeVersions", versions: new Map(N2C_VERSIONS.map((v) => [v, data] as const)) });
  assert.equal((await hs.recv()).type, "MsgAcceptVersion");
  const monitor = new Driver(
    mux.channel(N2C_PROTOCOL.localTxMonitor, "initiator", 1_000_000),
    localTxMonitorSpec,
    "client",
    () => 5000,
  );
  return { server, socket, mux, monitor };
}

describe("local tx-monitor", () => {
  it("walks a mempool snapshot that stays as acquired, and await-acquire waits for a change", async () => {
    const c = await client();
    try {
      assert.ok(mempool.add(decodeTx(txs[0]!.bytes), at).ok);
      c.monitor.send({ type: "MsgAcquire" });
      assert.deepEqual(await c.monitor.recv(), { type: "MsgAcquired", slot: 77n });
      // A second transaction arrives after the snapshot: the client does not see it until it re-acquires.
      assert.ok(mempool.add(decodeTx(txs[1]!.bytes), at).ok);
      c.monitor.send({ type: "MsgGetSizes" });
      assert.deepEqual(await c.monitor.recv(), {
        type: "MsgReplyGetSizes",
        sizes: { capacity: 1_000_000, size: txs[0]!.bytes.length, count: 1 },
      });
      c.monitor.send({ type: "MsgHasTx", txId: txs[0]!.body.id });
      assert.deepEqual(await c.monitor.recv(), { type: "MsgReplyHasTx", has: true });
      c.monitor.send({ type: "MsgHasTx", txId: txs[1]!.body.id });
      assert.deepEqual(await c.monitor.recv(), { type: "MsgReplyHasTx", has: false });
      c.monitor.send({ type: "MsgNextTx" });
      const first = await c.monitor.recv();
      assert.equal(first.type === "MsgReplyNextTx" && first.tx?.era, 6);
      assert.equal(first.type === "MsgReplyNextTx" && bytesToHex(first.tx!.bytes), bytesToHex(txs[0]!.bytes));
      c.monitor.send({ type: "MsgNextTx" });
      assert.deepEqual(await c.monitor.recv(), { type: "MsgReplyNextTx", tx: null });

      // Await-acquire: the mempool already differs (two transactions now), so it answers at once ...
      c.monitor.send({ type: "MsgAcquire" });
      assert.equal((await c.monitor.recv()).type, "MsgAcquired");
      c.monitor.send({ type: "MsgGetSizes" });
      const sizes = await c.monitor.recv();
      assert.equal(sizes.type === "MsgReplyGetSizes" && sizes.sizes.count, 2);
      // ... and again only once the mempool changes.
      c.monitor.send({ type: "MsgAcquire" });
      let answered = false;
      const reply = c.monitor.recv().then((m) => ((answered = true), m));
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(answered, false, "no answer while the mempool is as acquired");
      mempool.removeIncluded([decodeTx(txs[0]!.bytes)]);
      assert.equal((await reply).type, "MsgAcquired");
      c.monitor.send({ type: "MsgNextTx" });
      const only = await c.monitor.recv();
      assert.equal(only.type === "MsgReplyNextTx" && bytesToHex(only.tx!.bytes), bytesToHex(txs[1]!.bytes));
      c.monitor.send({ type: "MsgRelease" });
      c.monitor.send({ type: "MsgDone" });
    } finally {
      c.mux.close("done");
      await c.server.close();
    }
  });

  it("closes the connection on a request outside the state machine or an unknown message", async () => {
    for (const [bytes, pattern] of [
      [message(5), /in state StIdle the client sent MsgNextTx/],
      [message(11), /unknown local tx-monitor message tag 11/],
    ] as const) {
      const c = await client();
      try {
        const reason = new Promise<string>((resolve) => c.server.onDisconnect((d) => resolve(d.reason)));
        c.socket.write(sdu(N2C_PROTOCOL.localTxMonitor, bytes));
        assert.match(await reason, pattern);
      } finally {
        c.mux.close("done");
        await c.server.close();
      }
    }
  });
});
