// Shared pieces of the network tests: a forged chain, a server on loopback, raw sockets that speak only the mux.
import { connect, type Socket } from "node:net";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { encodeVersionData } from "../../src/network/handshake.ts";
import { encodeSduHeader } from "../../src/network/mux.ts";
import { listen, type ListenOptions, type NodeServer } from "../../src/network/peer.ts";
import { message } from "../../src/network/wire.ts";
import { concatBytes } from "../../src/crypto/bytes.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { forgeChain } from "../helpers/forge.ts";

export const MAGIC = 42;

export const chain = forgeChain(12);

export async function startServer(source: MemoryChainSource, extra: Partial<ListenOptions> = {}): Promise<NodeServer> {
  return listen({ magic: MAGIC, source, ...extra });
}

export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

/** One SDU from the initiator side. */
export function sdu(protocol: number, payload: Uint8Array, fromResponder = false): Buffer {
  return Buffer.concat([encodeSduHeader(0, protocol, fromResponder, payload.length), payload]);
}

/** A valid MsgProposeVersions for version 14 and 15 with our magic, as one SDU. */
export function proposeSdu(magic = MAGIC): Buffer {
  const data = encodeVersionData({ networkMagic: magic, initiatorOnly: true, peerSharing: false, query: false });
  const table = concatBytes(Uint8Array.of(0xa2), encodeCbor(14), data, encodeCbor(15), data);
  return sdu(0, message(0, table));
}

/** Resolves when the socket closes; rejects after `ms`. */
export function socketClosed(s: Socket, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    s.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The next disconnect reason the server records that matches `pattern`. */
export function nextDisconnect(server: NodeServer, pattern: RegExp, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no disconnect matching ${pattern} within ${ms} ms; saw ${JSON.stringify(seen)}`));
    }, ms);
    const off = server.onDisconnect((d) => {
      seen.push(d.reason);
      if (!pattern.test(d.reason)) return;
      clearTimeout(timer);
      off();
      resolve(d.reason);
    });
  });
}
