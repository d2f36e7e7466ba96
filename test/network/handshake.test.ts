// Handshake: golden bytes, negotiation rules, and accept / refuse / timeout against a real server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import {
  encodeVersionData,
  handshakeSpec,
  HandshakeRefusedError,
  negotiate,
  type VersionData,
} from "../../src/network/handshake.ts";
import { connectPeer, type NodeServer } from "../../src/network/peer.ts";
import { MAGIC, nextDisconnect, rawSocket, socketClosed, startServer } from "./helpers.ts";

const data = (over: Partial<VersionData> = {}): VersionData => ({
  networkMagic: MAGIC,
  initiatorOnly: false,
  peerSharing: true,
  query: false,
  ...over,
});

describe("handshake", () => {
  let server: NodeServer;
  before(async () => {
    server = await startServer(new MemoryChainSource(), { timeouts: { handshakeMs: 300 } });
  });
  after(() => server.close());

  it("encodes MsgProposeVersions as the Cardano Blueprint golden vector", () => {
    const msg = handshakeSpec.encode({
      type: "MsgProposeVersions",
      versions: new Map([[14, encodeVersionData(data({ networkMagic: 0, peerSharing: true }))]]),
    });
    assert.equal(bytesToHex(msg), "8200a10e8400f401f4"); // [0, {14: [0, false, 1, false]}]
    const back = handshakeSpec.decode(msg);
    assert.ok(back.type === "MsgProposeVersions" && bytesToHex(back.versions.get(14)!) === "8400f401f4");
  });

  it("negotiates the highest common version; initiatorOnly is OR, peerSharing AND, query OR", () => {
    const table = new Map([
      [13, encodeVersionData(data())],
      [14, encodeVersionData(data())],
      [15, encodeVersionData(data({ initiatorOnly: true, peerSharing: true }))],
    ]);
    const r = negotiate(data({ peerSharing: false }), [14, 15], table);
    assert.ok("accept" in r);
    assert.deepEqual(r.accept, { version: 15, data: data({ initiatorOnly: true, peerSharing: false }) });
    const old = negotiate(data(), [14, 15], new Map([[7, Uint8Array.of(0x82, 0x01, 0xf4)]]));
    assert.deepEqual(old, { refuse: { kind: "VersionMismatch", versions: [14, 15] } });
    const magic = negotiate(data(), [14, 15], new Map([[14, encodeVersionData(data({ networkMagic: 1 }))]]));
    assert.ok("refuse" in magic && magic.refuse.kind === "Refused" && /magic 1 \/= 42/.test(magic.refuse.message));
    const garbage = negotiate(data(), [14, 15], new Map([[15, Uint8Array.of(0x01)]]));
    assert.ok("refuse" in garbage && garbage.refuse.kind === "HandshakeDecodeError");
  });

  it("accepts version 15 (or 14 when that is all the client offers) with matching magic", async () => {
    const a = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
    assert.equal(a.version, 15);
    assert.equal(a.versionData.networkMagic, MAGIC);
    assert.equal(a.versionData.initiatorOnly, true);
    a.close();
    const b = await connectPeer("127.0.0.1", server.port, { magic: MAGIC, versions: [14] });
    assert.equal(b.version, 14);
    b.close();
  });

  it("refuses a version mismatch; both sides keep the reason", async () => {
    const reason = nextDisconnect(server, /handshake/);
    await assert.rejects(
      connectPeer("127.0.0.1", server.port, { magic: MAGIC, versions: [12, 13] }),
      (e: unknown) =>
        e instanceof HandshakeRefusedError &&
        e.refusal?.kind === "VersionMismatch" &&
        /the peer speaks 14, 15/.test(e.reason),
    );
    assert.match(await reason, /handshake refused: version mismatch/);
  });

  it("refuses a wrong network magic", async () => {
    const reason = nextDisconnect(server, /handshake/);
    await assert.rejects(
      connectPeer("127.0.0.1", server.port, { magic: 764824073 }),
      (e: unknown) => e instanceof HandshakeRefusedError && e.refusal?.kind === "Refused" && /magic/.test(e.reason),
    );
    assert.match(await reason, /network magic 764824073 \/= 42/);
  });

  it("closes a connection that never proposes, after the handshake timeout", async () => {
    const reason = nextDisconnect(server, /handshake/);
    const s = await rawSocket(server.port);
    await socketClosed(s, 3000);
    assert.match(await reason, /handshake: the client sent nothing in state StPropose within 300 ms/);
  });
});
