// A bounded fuzz run against a node-to-node port: connections that send random bytes, truncated SDUs, SDUs for
// the wrong protocol or direction, mutated and out-of-state messages, before or after a valid handshake. The seed
// is returned so a failure can be replayed.
import type { Socket } from "node:net";
import type { Header } from "../../src/chain/header.ts";
import { concatBytes } from "../../src/crypto/bytes.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { encodeSduHeader } from "../../src/network/mux.ts";
import { MAGIC, proposeSdu, rawSocket, sdu, socketClosed } from "./helpers.ts";

/** A raw connection that has completed the handshake (the server's accept is read and ignored). */
export async function handshaken(port: number, magic = MAGIC): Promise<Socket> {
  const s = await rawSocket(port);
  s.write(proposeSdu(magic));
  await new Promise<void>((resolve) => s.once("data", () => resolve()));
  return s;
}

export interface FuzzOptions {
  /** Batches of 10 concurrent connections. */
  readonly batches: number;
  /** Stop starting batches after this long. */
  readonly ms: number;
  readonly magic?: number;
  readonly seed?: number;
}

/** `h` is a real header of the served chain, so some messages name points that exist. */
export async function fuzzPort(port: number, h: Header, options: FuzzOptions): Promise<{ runs: number; seed: number }> {
  let seed = options.seed ?? 0x9e3779b9 ^ Date.now();
  const startSeed = seed;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => rand(256));
  const valid: [number, Uint8Array][] = [
    [2, encodeCbor([0])],
    [2, encodeCbor([4, [[], [h.body.slot, h.hash]]])],
    [2, encodeCbor([7])],
    [3, encodeCbor([0, [h.body.slot, h.hash], [h.body.slot, h.hash]])],
    [3, encodeCbor([1])],
    [4, encodeCbor([6])],
    [4, encodeCbor([1, [[[6, new Uint8Array(32)], 100]]])],
    [8, encodeCbor([0, 5])],
    [8, encodeCbor([2])],
    [10, encodeCbor([0, 3])],
  ];
  const mutate = (m: Uint8Array): Uint8Array => {
    switch (rand(5)) {
      case 0: {
        const c = Uint8Array.from(m);
        for (let i = 0; i <= rand(3); i++) c[rand(c.length)] = rand(256);
        return c;
      }
      case 1:
        return m.subarray(0, rand(m.length));
      case 2:
        return concatBytes(m, bytes(rand(20)));
      case 3:
        return bytes(1 + rand(40));
      default:
        return m;
    }
  };
  const frame = (): Uint8Array => {
    switch (rand(6)) {
      case 0:
        return bytes(1 + rand(64)); // random bytes, probably not even an SDU
      case 1: {
        const [p, m] = valid[rand(valid.length)]!;
        return encodeSduHeader(rand(1 << 30), p, rand(8) === 0, m.length + rand(30)); // truncated SDU
      }
      case 2: {
        const [p, m] = valid[rand(valid.length)]!;
        return sdu(rand(4) === 0 ? rand(16) : p, mutate(m), rand(10) === 0);
      }
      default: {
        const [p, m] = valid[rand(valid.length)]!;
        return sdu(p, mutate(m));
      }
    }
  };
  const deadline = Date.now() + options.ms;
  let runs = 0;
  for (let batch = 0; batch < options.batches && Date.now() < deadline; batch++) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const s = rand(5) === 0 ? await rawSocket(port) : await handshaken(port, options.magic);
        s.on("error", () => {});
        for (let i = 0, n = 1 + rand(6); i < n; i++) s.write(frame());
        await Promise.race([socketClosed(s, 10_000).catch(() => {}), new Promise((r) => setTimeout(r, 150))]);
        s.destroy();
        await socketClosed(s).catch(() => {});
        runs++;
      }),
    );
  }
  return { runs, seed: startSeed };
}
