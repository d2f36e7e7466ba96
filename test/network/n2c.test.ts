// The node-to-client socket over a real Unix socket: the N2C handshake (accepted at the highest common version,
// refused with our versions, wrong magic refused), local chain-sync serving whole forged blocks (every block
// hash checked), local tx-submission into a real mempool on a devnet ledger (accepted, and refused with the
// ledger's failure encoded as ApplyTxErr), malformed bytes and unserved mini-protocols closing the connection,
// the socket's mode, and the socket file's life (stale replaced, live refused, removed on close).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex, concatBytes } from "../../src/crypto/bytes.ts";
import { decodeCbor, encodeCbor } from "../../src/codec/cbor.ts";
import { Mempool } from "../../src/ledger/mempool.ts";
import { decodeTx } from "../../src/ledger/tx.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { handshakeSpec, type RefuseReason } from "../../src/network/handshake.ts";
import { INGRESS_LIMITS, N2C_PROTOCOL } from "../../src/network/limits.ts";
import { localChainSyncSpec } from "../../src/network/local-chain-sync.ts";
import { localTxSubmissionSpec } from "../../src/network/local-tx-submission.ts";
import { Mux } from "../../src/network/mux.ts";
import { encodeN2cVersionData, N2C_VERSIONS } from "../../src/network/n2c-handshake.ts";
import { listenLocal, SocketPathError } from "../../src/network/n2c.ts";
import { Driver } from "../../src/network/protocol.ts";
import { message } from "../../src/network/wire.ts";
import { localSubmit } from "../../src/node/local-socket.ts";
import { devnetLedger, spend } from "../helpers/ledger.ts";
import { forgeChain } from "../helpers/forge.ts";
import { waitFor } from "../helpers/wait.ts";
import { chain, MAGIC, sdu, socketClosed } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-n2c-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const socketPath = () => join(dir, `node-${++n}.socket`);

const ledger = devnetLedger(1);
const mempool = new Mempool(1_000_000);
const at = { state: ledger.state, params: ledger.params, slot: 10n, epoch: 0 };
const submitTx = localSubmit((bytes) => {
  const r = mempool.add(decodeTx(bytes), at);
  return r.ok ? { accepted: true, id: r.id } : { accepted: false, error: r.message, failures: r.failures };
});

async function serve(source = new MemoryChainSource(chain.map((b) => b.bytes)), path = socketPath()) {
  return listenLocal(path, { magic: MAGIC, source, submitTx, timeouts: { handshakeMs: 3000 } });
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path }, () => resolve(s));
    s.once("error", reject);
  });
}

/** A client mux that proposes `versions` with `magic`; resolves with the reply. */
async function handshake(path: string, versions = N2C_VERSIONS, magic = MAGIC) {
  const mux = new Mux(await dial(path), { label: "test client" });
  const hs = new Driver(mux.channel(0, "initiator", 5760), handshakeSpec, "client", () => 5000);
  const data = encodeN2cVersionData({ networkMagic: magic, query: false });
  hs.send({ type: "MsgProposeVersions", versions: new Map(versions.map((v) => [v, data] as const)) });
  return { mux, reply: await hs.recv() };
}

function clients(mux: Mux) {
  const cs = new Driver(
    mux.channel(N2C_PROTOCOL.localChainSync, "initiator", 10_000_000),
    localChainSyncSpec,
    "client",
    () => 5000,
  );
  const tx = new Driver(
    mux.channel(N2C_PROTOCOL.localTxSubmission, "initiator", INGRESS_LIMITS[N2C_PROTOCOL.localTxSubmission]!),
    localTxSubmissionSpec,
    "client",
    () => 5000,
  );
  return { cs, tx };
}

describe("node-to-client socket", () => {
  it("accepts the highest common N2C version and creates the socket with mode 0660", async () => {
    const server = await serve();
    try {
      assert.equal(statSync(server.path).mode & 0o777, 0o660);
      assert.ok(statSync(server.path).isSocket());
      // gouroboros proposes V_9..V_21; V_9..V_14 carry a bare magic as version data, which we never read.
      const proposal = [9, 12, 14, 15, 16, 19, 21].map((v) => v | 0x8000);
      const { mux, reply } = await handshake(server.path, proposal);
      assert.equal(reply.type, "MsgAcceptVersion");
      assert.equal(reply.type === "MsgAcceptVersion" && reply.version, 21 | 0x8000);
      assert.deepEqual(reply.type === "MsgAcceptVersion" && decodeCbor(reply.data), [MAGIC, false]);
      mux.close("done");
    } finally {
      await server.close();
    }
    assert.equal(existsSync(server.path), false, "the socket file is removed on close");
  });

  it("refuses node-to-node versions with MsgRefuse listing ours, and a wrong magic", async () => {
    const server = await serve();
    try {
      const a = await handshake(server.path, [14, 15]);
      assert.equal(a.reply.type, "MsgRefuse");
      const reason = (a.reply as { reason: RefuseReason }).reason;
      assert.deepEqual(reason, { kind: "VersionMismatch", versions: [...N2C_VERSIONS] });
      await a.mux.closed;
      const b = await handshake(server.path, N2C_VERSIONS, MAGIC + 1);
      assert.equal(b.reply.type, "MsgRefuse");
      const r = (b.reply as { reason: RefuseReason }).reason;
      assert.equal(r.kind, "Refused");
      assert.match(r.kind === "Refused" ? r.message : "", /network magic 43 \/= 42/);
      await b.mux.closed;
    } finally {
      await server.close();
    }
  });

  it("answers a version query with MsgQueryReply listing our versions, then closes", async () => {
    const server = await serve();
    try {
      const mux = new Mux(await dial(server.path), { label: "test client" });
      const hs = new Driver(mux.channel(0, "initiator", 5760), handshakeSpec, "client", () => 5000);
      const data = encodeN2cVersionData({ networkMagic: MAGIC, query: true });
      hs.send({ type: "MsgProposeVersions", versions: new Map([[16 | 0x8000, data]]) });
      const reply = await hs.recv();
      assert.equal(reply.type, "MsgQueryReply");
      assert.deepEqual(reply.type === "MsgQueryReply" && [...reply.versions.keys()], [...N2C_VERSIONS]);
      await mux.closed;
      assert.equal(server.handshakes, 0);
    } finally {
      await server.close();
    }
  });

  it("serves whole blocks with local chain-sync from origin, every block hash checked, then waits at the tip", async () => {
    const source = new MemoryChainSource(chain.slice(0, 10).map((b) => b.bytes));
    const server = await serve(source);
    try {
      const { mux } = await handshake(server.path);
      const { cs } = clients(mux);
      cs.send({ type: "MsgFindIntersect", points: ["origin"] });
      assert.equal((await cs.recv()).type, "MsgIntersectFound");
      const hashes: string[] = [];
      for (let i = 0; i < 20 && hashes.length < 11; i++) {
        cs.send({ type: "MsgRequestNext" });
        let msg = await cs.recv();
        if (msg.type === "MsgAwaitReply") {
          assert.equal(hashes.length, 10, "awaits only at the tip");
          source.add(chain[10]!.bytes);
          msg = await cs.recv();
        }
        if (msg.type !== "MsgRollForward") continue;
        assert.equal(msg.block.era, "Conway");
        const block = decodeBlock(msg.block.bytes);
        hashes.push(bytesToHex(block.header.hash));
      }
      assert.deepEqual(
        hashes,
        chain.slice(0, 11).map((b) => bytesToHex(b.header.hash)),
      );
      cs.send({ type: "MsgDone" });
      mux.close("done");
    } finally {
      await server.close();
    }
  });

  it("holds back blocks a client pipelines requests for but does not read (bounded egress)", async () => {
    // 600 blocks (~500 kB) against a client that sends 600 pipelined MsgRequestNext and never reads: the replies
    // must wait in the server at about the mux's high-water mark, not all be queued at once.
    const long = forgeChain(600);
    const server = await serve(new MemoryChainSource(long.map((b) => b.bytes)));
    try {
      const raw = await dial(server.path);
      raw.pause();
      const data = encodeN2cVersionData({ networkMagic: MAGIC, query: false });
      const table = concatBytes(Uint8Array.of(0xa1), encodeCbor(N2C_VERSIONS[0]!), data);
      raw.write(sdu(0, message(0, table)));
      await waitFor("the handshake", () => server.handshakes === 1);
      const requests = concatBytes(...Array.from({ length: 600 }, () => message(0)));
      raw.write(sdu(N2C_PROTOCOL.localChainSync, requests));
      const mux = [...server.connections][0]!;
      let last = -1;
      await waitFor("the server to stop sending", async () => {
        await new Promise((r) => setTimeout(r, 300));
        const settled = mux.bytesOut === last;
        last = mux.bytesOut;
        return settled;
      });
      const queued = mux.channel(N2C_PROTOCOL.localChainSync, "responder", 0).egressBytes;
      const largest = Math.max(...long.map((b) => b.bytes.length));
      assert.ok(queued <= mux.highWater + largest + 100, `${queued} bytes queued for a client that does not read`);
      raw.destroy();
    } finally {
      await server.close();
    }
  });

  it("accepts a valid transaction into the mempool and refuses a double spend with BadInputsUTxO", async () => {
    const server = await serve();
    try {
      const { mux } = await handshake(server.path);
      const { tx } = clients(mux);
      const owner = ledger.owners[0]!;
      const good = spend(ledger.state, ledger.params, owner, {
        outputs: [{ address: owner.address, coin: 5_000_000n }],
      });
      tx.send({ type: "MsgSubmitTx", hfcIndex: 6, tx: good.bytes });
      assert.equal((await tx.recv()).type, "MsgAcceptTx");
      assert.ok(mempool.has(bytesToHex(good.body.id)));
      // The same inputs again, now spent by the transaction in the mempool.
      const again = spend(ledger.state, ledger.params, owner, {
        outputs: [{ address: owner.address, coin: 6_000_000n }],
      });
      tx.send({ type: "MsgSubmitTx", hfcIndex: 6, tx: again.bytes });
      const reply = await tx.recv();
      assert.equal(reply.type, "MsgRejectTx");
      // [[6, [ConwayUtxowFailure [UtxoFailure [BadInputsUTxO, [[txid, ix]]]]]]]
      const reason = decodeCbor((reply as { reason: Uint8Array }).reason) as unknown[];
      const [[era, failures]] = reason as [[number, unknown[][]]];
      assert.equal(era, 6);
      const [tag, [utxoTag, [badInputs, inputs]]] = failures[0] as [number, [number, [number, Uint8Array[][]]]];
      assert.deepEqual([tag, utxoTag, badInputs], [1, 0, 1]);
      assert.equal(inputs.length, 1);
      tx.send({ type: "MsgDone" });
      mux.close("done");
    } finally {
      await server.close();
    }
  });

  it("closes a connection that sends malformed bytes or uses an unserved mini-protocol; others carry on", async () => {
    const server = await serve();
    try {
      const a = await handshake(server.path);
      const closedA = a.mux.closed;
      a.mux.socket.write(sdu(N2C_PROTOCOL.localChainSync, Uint8Array.of(0xff, 0xff, 0xff)));
      await closedA;
      const b = await handshake(server.path);
      // Local state-query is not served yet: an unknown mini-protocol.
      b.mux.socket.write(sdu(N2C_PROTOCOL.localStateQuery, encodeCbor([0, []])));
      await b.mux.closed;
      const reasons = server.disconnects.map((d) => d.reason);
      assert.ok(
        reasons.some((r) => /local chain-sync: malformed message/.test(r)),
        JSON.stringify(reasons),
      );
      assert.ok(
        reasons.some((r) => /unknown mini-protocol 7/.test(r)),
        JSON.stringify(reasons),
      );
      // Garbage before any handshake.
      const raw = await dial(server.path);
      raw.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
      await socketClosed(raw);
      const c = await handshake(server.path);
      assert.equal(c.reply.type, "MsgAcceptVersion");
      c.mux.close("done");
    } finally {
      await server.close();
    }
  });

  it("replaces a stale socket file, refuses a live one, a path that is not a socket and one too long", async () => {
    const path = socketPath();
    // A stale socket: a process bound it and was SIGKILLed, so nothing removed the file.
    const child = spawn(
      process.execPath,
      ["-e", `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((r) => child.stdout!.once("data", () => r()));
    child.kill("SIGKILL");
    await new Promise<void>((r) => child.once("exit", () => r()));
    assert.ok(statSync(path).isSocket(), "the killed process left its socket file");
    const replaced = await serve(undefined, path);
    const { mux, reply } = await handshake(path);
    assert.equal(reply.type, "MsgAcceptVersion");
    mux.close("done");
    // A live socket (ours, still listening) is refused, not taken over.
    await assert.rejects(
      serve(undefined, path),
      (e: Error) => e instanceof SocketPathError && /another process/.test(e.message),
    );
    await replaced.close();
    const notSocket = socketPath();
    writeFileSync(notSocket, "keep me");
    await assert.rejects(serve(undefined, notSocket), /is not a socket/);
    assert.equal(existsSync(notSocket), true);
    // libuv would silently cut a path past sun_path's 107 bytes and bind somewhere else.
    const long = join(dir, "x".repeat(120));
    await assert.rejects(serve(undefined, long), /is \d+ bytes; a Unix socket path has at most 107/);
    const again = await serve(undefined, path);
    await again.close();
  });
});
