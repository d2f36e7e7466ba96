// Handshake (mini-protocol 0), node-to-node versions 14 and 15. Version data is
// [networkMagic, initiatorOnlyDiffusionMode, peerSharing (0|1), query]. Messages:
//   [0, {version: data}] MsgProposeVersions   [1, version, data] MsgAcceptVersion
//   [2, reason] MsgRefuse: [0, [versions]] VersionMismatch | [1, version, text] HandshakeDecodeError
//                          | [2, version, text] Refused
//   [3, {version: data}] MsgQueryReply
// The responder picks the highest common version; the magic must match; the agreed data is initiatorOnly = OR,
// peerSharing = AND, query = OR. Version data of versions we do not speak is carried but never read.
import { cborMapEntries } from "../codec/cbor-raw.ts";
import { concatBytes } from "../crypto/bytes.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { HANDSHAKE_BYTE_LIMIT, INGRESS_LIMITS, PROTOCOL } from "./limits.ts";
import type { Mux, Side } from "./mux.ts";
import { ConnectionClosedError } from "./mux.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import { arrayOf, boolOf, decodeRaw, expectItems, message, splitMessage, uintOf, WireError } from "./wire.ts";

export const N2N_VERSIONS: readonly number[] = [14, 15];

export interface VersionData {
  readonly networkMagic: number;
  readonly initiatorOnly: boolean;
  readonly peerSharing: boolean;
  readonly query: boolean;
}

export type RefuseReason =
  | { readonly kind: "VersionMismatch"; readonly versions: readonly number[] }
  | { readonly kind: "HandshakeDecodeError"; readonly version: number; readonly message: string }
  | { readonly kind: "Refused"; readonly version: number; readonly message: string };

/** Version number -> version data as received (raw CBOR). */
export type VersionTable = ReadonlyMap<number, Uint8Array>;

export type HandshakeMessage =
  | { readonly type: "MsgProposeVersions"; readonly versions: VersionTable }
  | { readonly type: "MsgAcceptVersion"; readonly version: number; readonly data: Uint8Array }
  | { readonly type: "MsgRefuse"; readonly reason: RefuseReason }
  | { readonly type: "MsgQueryReply"; readonly versions: VersionTable };

type State = "StPropose" | "StConfirm" | "StDone";

export function encodeVersionData(d: VersionData): Uint8Array {
  return encodeCbor([d.networkMagic, d.initiatorOnly, d.peerSharing ? 1 : 0, d.query]);
}

export function decodeVersionData(raw: Uint8Array): VersionData {
  const items = arrayOf(raw, "version data");
  expectItems(items, 4, "version data");
  const peerSharing = uintOf(items[2]!, "peerSharing", 1);
  return {
    networkMagic: uintOf(items[0]!, "networkMagic", 0xffffffff),
    initiatorOnly: boolOf(items[1]!, "initiatorOnlyDiffusionMode"),
    peerSharing: peerSharing === 1,
    query: boolOf(items[3]!, "query"),
  };
}

function encodeTable(table: VersionTable): Uint8Array {
  const keys = [...table.keys()].sort((a, b) => a - b);
  if (keys.length >= 24) throw new Error("too many versions");
  return concatBytes(Uint8Array.of(0xa0 | keys.length), ...keys.flatMap((k) => [encodeCbor(k), table.get(k)!]));
}

function decodeTable(raw: Uint8Array): VersionTable {
  let entries: [Uint8Array, Uint8Array][];
  try {
    entries = cborMapEntries(raw);
  } catch (error) {
    throw new WireError(`version table: ${(error as Error).message}`);
  }
  const table = new Map<number, Uint8Array>();
  for (const [k, v] of entries) {
    const version = uintOf(k, "version number", 0xffff);
    if (table.has(version)) throw new WireError(`version ${version} appears twice`);
    table.set(version, Uint8Array.from(v));
  }
  return table;
}

function encodeRefuse(r: RefuseReason): Uint8Array {
  if (r.kind === "VersionMismatch") return encodeCbor([0, [...r.versions]]);
  return encodeCbor([r.kind === "HandshakeDecodeError" ? 1 : 2, r.version, r.message]);
}

function decodeRefuse(raw: Uint8Array): RefuseReason {
  const items = arrayOf(raw, "refuse reason");
  const kind = uintOf(items[0] ?? new Uint8Array(), "refuse reason tag", 2);
  if (kind === 0) {
    expectItems(items, 2, "VersionMismatch");
    return { kind: "VersionMismatch", versions: arrayOf(items[1]!, "versions").map((v) => uintOf(v, "version")) };
  }
  expectItems(items, 3, "refuse reason");
  const text = decodeRaw(items[2]!, "refuse text");
  if (typeof text !== "string") throw new WireError("refuse text must be a string");
  return {
    kind: kind === 1 ? "HandshakeDecodeError" : "Refused",
    version: uintOf(items[1]!, "version"),
    message: text,
  };
}

export const handshakeSpec: ProtocolSpec<State, HandshakeMessage> = {
  name: "handshake",
  initial: "StPropose",
  agency: (s) => (s === "StPropose" ? "client" : s === "StConfirm" ? "server" : "none"),
  next(state, msg) {
    if (state === "StPropose" && msg.type === "MsgProposeVersions") return "StConfirm";
    if (state === "StConfirm" && msg.type !== "MsgProposeVersions") return "StDone";
    return undefined;
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgProposeVersions":
        return message(0, encodeTable(msg.versions));
      case "MsgAcceptVersion":
        return message(1, encodeCbor(msg.version), msg.data);
      case "MsgRefuse":
        return message(2, encodeRefuse(msg.reason));
      case "MsgQueryReply":
        return message(3, encodeTable(msg.versions));
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    switch (tag) {
      case 0:
        expectItems(items, 1, "MsgProposeVersions");
        return { type: "MsgProposeVersions", versions: decodeTable(items[0]!) };
      case 1:
        expectItems(items, 2, "MsgAcceptVersion");
        return { type: "MsgAcceptVersion", version: uintOf(items[0]!, "version", 0xffff), data: items[1]! };
      case 2:
        expectItems(items, 1, "MsgRefuse");
        return { type: "MsgRefuse", reason: decodeRefuse(items[0]!) };
      case 3:
        expectItems(items, 1, "MsgQueryReply");
        return { type: "MsgQueryReply", versions: decodeTable(items[0]!) };
      default:
        throw new WireError(`unknown handshake message tag ${tag}`);
    }
  },
  sizeLimit: () => HANDSHAKE_BYTE_LIMIT,
};

export interface Negotiated {
  readonly version: number;
  readonly data: VersionData;
}

/** The responder's decision on a proposal (pure: cardano-node's acceptableVersion). */
export function negotiate(
  ours: VersionData,
  supported: readonly number[],
  proposal: VersionTable,
): { accept: Negotiated } | { refuse: RefuseReason } {
  const common = [...proposal.keys()].filter((v) => supported.includes(v)).sort((a, b) => b - a);
  const version = common[0];
  if (version === undefined) return { refuse: { kind: "VersionMismatch", versions: [...supported] } };
  let theirs: VersionData;
  try {
    theirs = decodeVersionData(proposal.get(version)!);
  } catch (error) {
    return { refuse: { kind: "HandshakeDecodeError", version, message: (error as Error).message } };
  }
  if (theirs.networkMagic !== ours.networkMagic) {
    const message = `version data mismatch: network magic ${theirs.networkMagic} /= ${ours.networkMagic}`;
    return { refuse: { kind: "Refused", version, message } };
  }
  return {
    accept: {
      version,
      data: {
        networkMagic: ours.networkMagic,
        initiatorOnly: ours.initiatorOnly || theirs.initiatorOnly,
        peerSharing: ours.peerSharing && theirs.peerSharing,
        query: ours.query || theirs.query,
      },
    },
  };
}

export function describeRefusal(r: RefuseReason): string {
  if (r.kind === "VersionMismatch") return `version mismatch (the peer speaks ${r.versions.join(", ")})`;
  return `${r.kind === "Refused" ? "refused" : "decode error"} at version ${r.version}: ${r.message}`;
}

export class HandshakeRefusedError extends ConnectionClosedError {
  override name = "HandshakeRefusedError";
  readonly refusal: RefuseReason | undefined;
  constructor(reason: string, refusal?: RefuseReason) {
    super(reason);
    this.refusal = refusal;
  }
}

function channelFor(mux: Mux, side: Side) {
  return mux.channel(PROTOCOL.handshake, side, INGRESS_LIMITS[PROTOCOL.handshake]!);
}

/** Initiator: propose `versions` with `data`, return what the responder accepted. */
export async function proposeHandshake(
  mux: Mux,
  data: VersionData,
  timeoutMs: number,
  versions: readonly number[] = N2N_VERSIONS,
): Promise<Negotiated> {
  const driver = new Driver(channelFor(mux, "initiator"), handshakeSpec, "client", () => timeoutMs);
  const table = new Map(versions.map((v) => [v, encodeVersionData(data)] as const));
  driver.send({ type: "MsgProposeVersions", versions: table });
  const reply = await driver.recv();
  if (reply.type === "MsgRefuse") {
    const reason = `handshake refused: ${describeRefusal(reply.reason)}`;
    mux.close(reason);
    throw new HandshakeRefusedError(reason, reply.reason);
  }
  if (reply.type === "MsgQueryReply") {
    const reason = "handshake: the peer sent a query reply to a proposal that did not query";
    mux.close(reason);
    throw new HandshakeRefusedError(reason);
  }
  if (reply.type !== "MsgAcceptVersion") throw driver.fail(`handshake: unexpected ${reply.type}`);
  if (!versions.includes(reply.version)) {
    throw driver.fail(`handshake: the peer accepted version ${reply.version}, which was not proposed`);
  }
  let agreed: VersionData;
  try {
    agreed = decodeVersionData(reply.data);
  } catch (error) {
    throw driver.fail(`handshake: accepted version data does not decode: ${(error as Error).message}`);
  }
  if (agreed.networkMagic !== data.networkMagic) {
    throw driver.fail(`handshake: the peer accepted network magic ${agreed.networkMagic}, not ${data.networkMagic}`);
  }
  return { version: reply.version, data: agreed };
}

/** Responder: wait for a proposal, accept or refuse it. Refusals and queries close the connection. */
export async function answerHandshake(
  mux: Mux,
  data: VersionData,
  timeoutMs: number,
  versions: readonly number[] = N2N_VERSIONS,
): Promise<Negotiated> {
  const driver = new Driver(channelFor(mux, "responder"), handshakeSpec, "server", () => timeoutMs);
  const proposal = await driver.recv();
  if (proposal.type !== "MsgProposeVersions") throw driver.fail(`handshake: unexpected ${proposal.type}`);
  const decision = negotiate(data, versions, proposal.versions);
  if ("refuse" in decision) {
    driver.send({ type: "MsgRefuse", reason: decision.refuse });
    const reason = `handshake refused: ${describeRefusal(decision.refuse)}`;
    mux.closeAfterFlush(reason);
    throw new HandshakeRefusedError(reason, decision.refuse);
  }
  const theirs = decodeVersionData(proposal.versions.get(decision.accept.version)!);
  if (theirs.query) {
    const table = new Map(versions.map((v) => [v, encodeVersionData(data)] as const));
    driver.send({ type: "MsgQueryReply", versions: table });
    const reason = "handshake: answered a version query";
    mux.closeAfterFlush(reason);
    throw new HandshakeRefusedError(reason);
  }
  driver.send({
    type: "MsgAcceptVersion",
    version: decision.accept.version,
    data: encodeVersionData(decision.accept.data),
  });
  return decision.accept;
}
