// The mux on a real loopback socket pair: SDU framing, messages spanning SDUs, several messages in one SDU,
// round-robin egress, ingress limits and malformed bytes.
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeCbor } from "../../src/codec/cbor.ts";
import {
  decodeSduHeader,
  encodeSduHeader,
  MalformedMessageError,
  Mux,
  SDU_HEADER_BYTES,
} from "../../src/network/mux.ts";

async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once("connection", r));
  const client = connect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => client.once("connect", () => r()));
  return [client, await accepted, () => server.close()];
}

/** Collect raw SDUs arriving on a socket. */
function sduCollector(s: Socket) {
  const sdus: { protocol: number; fromResponder: boolean; payload: Buffer }[] = [];
  let buf = Buffer.alloc(0);
  s.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= SDU_HEADER_BYTES) {
      const h = decodeSduHeader(buf);
      if (buf.length < SDU_HEADER_BYTES + h.length) break;
      sdus.push({ ...h, payload: buf.subarray(SDU_HEADER_BYTES, SDU_HEADER_BYTES + h.length) });
      buf = buf.subarray(SDU_HEADER_BYTES + h.length);
    }
  });
  return sdus;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("mux", () => {
  let a: Socket, b: Socket, done: () => void;
  before(async () => {
    [a, b, done] = await socketPair();
  });
  after(() => {
    a.destroy();
    b.destroy();
    done();
  });

  it("encodes the SDU header: time, mode bit, protocol, length", () => {
    const h = encodeSduHeader(0x01020304, 2, true, 12288);
    assert.equal(h.toString("hex"), "01020304" + "8002" + "3000");
    assert.deepEqual(decodeSduHeader(h), { timestamp: 0x01020304, fromResponder: true, protocol: 2, length: 12288 });
    assert.equal(decodeSduHeader(encodeSduHeader(0, 10, false, 5)).protocol, 10);
  });

  it("splits a large message into 12288-byte SDUs and reassembles it; mode bit marks the initiator", async () => {
    const sdus = sduCollector(b);
    const mux = new Mux(a);
    const ch = mux.channel(3, "initiator", 1 << 20);
    const big = encodeCbor([4, new Uint8Array(50_000).fill(7)]);
    ch.send(big);
    ch.send(encodeCbor([5]));
    await until(() => sdus.reduce((n, s) => n + s.payload.length, 0) === big.length + 2);
    assert.ok(sdus.length >= 5);
    assert.ok(sdus.every((s) => s.protocol === 3 && !s.fromResponder && s.payload.length <= 12288));
    assert.equal(sdus[0]!.payload.length, 12288);
    // The receiving mux puts it back together, and finds both messages.
    const [c, d, close] = await socketPair();
    const rx = new Mux(d);
    const resp = rx.channel(3, "responder", 1 << 20);
    for (const s of sdus) c.write(Buffer.concat([encodeSduHeader(0, 3, false, s.payload.length), s.payload]));
    await until(() => resp.buffered === big.length + 2);
    assert.deepEqual(resp.takeMessage(), big);
    assert.deepEqual(resp.takeMessage(), encodeCbor([5]));
    assert.equal(resp.takeMessage(), null);
    c.destroy();
    rx.close("test over");
    close();
  });

  it("an incomplete message waits; malformed bytes are reported as such", async () => {
    const [c, d, close] = await socketPair();
    const rx = new Mux(d);
    const ch = rx.channel(8, "responder", 10_000);
    const msg = encodeCbor([0, 1234]);
    c.write(Buffer.concat([encodeSduHeader(0, 8, false, 2), msg.subarray(0, 2)]));
    await until(() => ch.buffered === 2);
    assert.equal(ch.takeMessage(), null);
    c.write(Buffer.concat([encodeSduHeader(0, 8, false, msg.length - 2), msg.subarray(2)]));
    await until(() => ch.buffered === msg.length);
    assert.deepEqual(ch.takeMessage(), msg);
    c.write(Buffer.concat([encodeSduHeader(0, 8, false, 1), Buffer.of(0x1c)])); // reserved additional info
    await until(() => ch.buffered === 1);
    assert.throws(() => ch.takeMessage(), MalformedMessageError);
    c.destroy();
    rx.close("test over");
    close();
  });

  it("takes one SDU per protocol per round (fair egress)", async () => {
    const [c, d, close] = await socketPair();
    const sdus = sduCollector(d);
    const mux = new Mux(c);
    const x = mux.channel(2, "initiator", 1000);
    const y = mux.channel(3, "initiator", 1000);
    x.send(encodeCbor(new Uint8Array(5 * 12288)));
    y.send(encodeCbor(new Uint8Array(2 * 12288)));
    await until(() => sdus.length >= 9);
    const order = sdus.map((s) => s.protocol).join("");
    assert.ok(order.startsWith("232323"), order);
    mux.close("test over");
    close();
  });

  it("closes with a reason on an unknown protocol and on an ingress queue overrun", async () => {
    for (const [sdu, reason] of [
      [Buffer.concat([encodeSduHeader(0, 77, false, 1), Buffer.of(0)]), /unknown mini-protocol 77/],
      [Buffer.concat([encodeSduHeader(0, 8, false, 2000), Buffer.alloc(2000)]), /keep-alive ingress queue overrun/],
    ] as const) {
      const [c, d, close] = await socketPair();
      const rx = new Mux(d);
      rx.channel(8, "responder", 1408);
      c.write(sdu);
      assert.match(await rx.closed, reason);
      c.destroy();
      close();
    }
  });

  it("waits for 'drain' under back-pressure and delivers everything in order", async () => {
    const [c, d, close] = await socketPair();
    const tx = new Mux(c);
    const rx = new Mux(d);
    const out = tx.channel(3, "responder", 1);
    const inn = rx.channel(3, "initiator", 64 << 20);
    d.pause(); // nobody reads for a while: the sender's buffer fills
    const msgs = Array.from({ length: 32 }, (_, i) => encodeCbor([i, new Uint8Array(1 << 20).fill(i)]));
    let sent = 0;
    const producer = (async () => {
      for (const m of msgs) {
        await out.whenWritable();
        out.send(m);
        sent++;
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const held = sent;
    d.resume();
    await producer;
    const got: Uint8Array[] = [];
    await until(() => {
      let m;
      while ((m = inn.takeMessage())) got.push(m);
      return got.length === msgs.length;
    }, 10_000);
    got.forEach((m, i) => assert.deepEqual(m, msgs[i]));
    assert.ok(held < msgs.length, `back-pressure held the producer (it had sent ${held} of ${msgs.length})`);
    tx.close("test over");
    rx.close("test over");
    close();
  });
});
