// Peer-sharing (mini-protocol 10), node-to-node v14+: [0, amount] MsgShareRequest, [1, [address]] MsgSharePeers,
// [2] MsgDone. An address is [0, ipv4 u32, port] or [1, u32, u32, u32, u32, port], the words being what Haskell's
// `network` package holds in SockAddr, which ouroboros-network encodes as is: an IPv4 HostAddress is the address
// bytes in network order read as a host (little-endian) word, so 1.2.3.4 is 0x04030201; an IPv6 HostAddress6 is
// four words in host order, each the big-endian value of four address bytes, so 2001:db8::1 is
// (0x20010db8, 0, 0, 1). States: StIdle (client), StBusy (server), StDone.
import { isIPv4, isIPv6 } from "node:net";
import { encodeCbor } from "../codec/cbor.ts";
import { type NetworkTimeouts, SMALL_BYTE_LIMIT } from "./limits.ts";
import { ConnectionClosedError } from "./mux.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import { arrayOf, expectItems, message, rawArray, splitMessage, uintOf, WireError } from "./wire.ts";

export type PeerSharingState = "StIdle" | "StBusy" | "StDone";

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export type PeerSharingMessage =
  | { readonly type: "MsgShareRequest"; readonly amount: number }
  | { readonly type: "MsgSharePeers"; readonly peers: readonly PeerAddress[] }
  | { readonly type: "MsgDone" };

function ipv6Bytes(host: string): Buffer {
  const [head = "", tail = ""] = host.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = host.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function encodePeerAddress(a: PeerAddress): Uint8Array {
  if (isIPv4(a.host)) {
    const bytes = Buffer.from(a.host.split(".").map(Number));
    return encodeCbor([0, bytes.readUInt32LE(0), a.port]);
  }
  if (isIPv6(a.host) && !a.host.includes(".")) {
    const b = ipv6Bytes(a.host);
    return encodeCbor([1, b.readUInt32BE(0), b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12), a.port]);
  }
  throw new Error(`peer-sharing carries IP addresses, not ${a.host}`);
}

export function decodePeerAddress(raw: Uint8Array): PeerAddress {
  const items = arrayOf(raw, "peer address");
  const kind = uintOf(items[0] ?? new Uint8Array(), "address kind", 1);
  if (kind === 0) {
    expectItems(items, 3, "IPv4 peer address");
    const b = Buffer.alloc(4);
    b.writeUInt32LE(uintOf(items[1]!, "IPv4 address", 0xffffffff));
    return { host: [...b].join("."), port: uintOf(items[2]!, "port", 0xffff) };
  }
  expectItems(items, 6, "IPv6 peer address");
  const b = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) b.writeUInt32BE(uintOf(items[1 + i]!, "IPv6 address word", 0xffffffff), i * 4);
  const groups = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(i * 2).toString(16));
  return { host: groups.join(":"), port: uintOf(items[5]!, "port", 0xffff) };
}

export const peerSharingSpec: ProtocolSpec<PeerSharingState, PeerSharingMessage> = {
  name: "peer-sharing",
  initial: "StIdle",
  agency: (s) => (s === "StIdle" ? "client" : s === "StBusy" ? "server" : "none"),
  next(state, msg) {
    if (state === "StIdle" && msg.type === "MsgShareRequest") return "StBusy";
    if (state === "StIdle" && msg.type === "MsgDone") return "StDone";
    if (state === "StBusy" && msg.type === "MsgSharePeers") return "StIdle";
    return undefined;
  },
  encode(msg) {
    if (msg.type === "MsgShareRequest") return message(0, encodeCbor(msg.amount));
    if (msg.type === "MsgSharePeers") return message(1, rawArray(msg.peers.map(encodePeerAddress)));
    return message(2);
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    switch (tag) {
      case 0:
        expectItems(items, 1, "MsgShareRequest");
        return { type: "MsgShareRequest", amount: uintOf(items[0]!, "amount", 255) };
      case 1:
        expectItems(items, 1, "MsgSharePeers");
        return { type: "MsgSharePeers", peers: arrayOf(items[0]!, "peers").map(decodePeerAddress) };
      case 2:
        expectItems(items, 0, "MsgDone");
        return { type: "MsgDone" };
      default:
        throw new WireError(`unknown peer-sharing message tag ${tag}`);
    }
  },
  sizeLimit: () => SMALL_BYTE_LIMIT,
};

export function peerSharingTimeLimit(t: NetworkTimeouts) {
  return (state: PeerSharingState): number | null => (state === "StBusy" ? t.peerSharingMs : null);
}

export class PeerSharingClient {
  readonly driver: Driver<PeerSharingState, PeerSharingMessage>;

  constructor(driver: Driver<PeerSharingState, PeerSharingMessage>) {
    this.driver = driver;
  }

  async request(amount: number): Promise<readonly PeerAddress[]> {
    this.driver.send({ type: "MsgShareRequest", amount });
    const reply = await this.driver.recv();
    if (reply.type !== "MsgSharePeers") throw this.driver.fail(`peer-sharing: unexpected ${reply.type}`);
    if (reply.peers.length > amount) {
      throw this.driver.fail(`peer-sharing: asked for ${amount} peers, got ${reply.peers.length}`);
    }
    return reply.peers;
  }

  done(): void {
    this.driver.send({ type: "MsgDone" });
  }
}

/** Answer share requests with up to `amount` of the peers `provider` returns (a producer shares none). */
export async function servePeerSharing(
  driver: Driver<PeerSharingState, PeerSharingMessage>,
  provider: () => readonly PeerAddress[],
): Promise<void> {
  try {
    while (true) {
      const msg = await driver.recv();
      if (msg.type === "MsgDone") return;
      if (msg.type === "MsgShareRequest") {
        driver.send({ type: "MsgSharePeers", peers: provider().slice(0, msg.amount) });
      }
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}
