// Handshake (mini-protocol 0) on the node-to-client socket. Same messages as node-to-node (handshake.ts), but
// the version numbers have bit 15 set (NodeToClientV_16 is 0x8010) and the version data of V_15 and later is
// [networkMagic, query]. We speak V_16..V_22, the versions cardano-node 10.x and its clients (cardano-cli,
// gouroboros) propose; the highest common one wins, the magic must match, and a client asking only which
// versions we speak (query = true) gets MsgQueryReply and the connection closes, as cardano-node does.
import { encodeCbor } from "../codec/cbor.ts";
import { INGRESS_LIMITS, PROTOCOL } from "./limits.ts";
import {
  describeRefusal,
  HandshakeRefusedError,
  handshakeSpec,
  type RefuseReason,
  type VersionTable,
} from "./handshake.ts";
import type { Mux } from "./mux.ts";
import { Driver } from "./protocol.ts";
import { arrayOf, boolOf, expectItems, uintOf } from "./wire.ts";

/** Bit 15 marks a node-to-client version number. */
export const N2C_VERSION_BIT = 0x8000;
export const N2C_VERSIONS: readonly number[] = [16, 17, 18, 19, 20, 21, 22].map((v) => v | N2C_VERSION_BIT);

export interface N2cVersionData {
  readonly networkMagic: number;
  readonly query: boolean;
}

export interface N2cNegotiated {
  readonly version: number;
  readonly data: N2cVersionData;
}

export function encodeN2cVersionData(d: N2cVersionData): Uint8Array {
  return encodeCbor([d.networkMagic, d.query]);
}

export function decodeN2cVersionData(raw: Uint8Array): N2cVersionData {
  const items = arrayOf(raw, "node-to-client version data");
  expectItems(items, 2, "node-to-client version data");
  return { networkMagic: uintOf(items[0]!, "networkMagic", 0xffffffff), query: boolOf(items[1]!, "query") };
}

/** "V_16" for 0x8010: how cardano-node names the versions in its logs. */
export function n2cVersionName(v: number): string {
  return v & N2C_VERSION_BIT ? `NodeToClientV_${v & ~N2C_VERSION_BIT}` : `version ${v} (not node-to-client)`;
}

/** The responder's decision (pure). Version data of versions we do not speak is never read. */
export function negotiateN2c(
  magic: number,
  supported: readonly number[],
  proposal: VersionTable,
): { accept: N2cNegotiated } | { refuse: RefuseReason } {
  const version = [...proposal.keys()].filter((v) => supported.includes(v)).sort((a, b) => b - a)[0];
  if (version === undefined) return { refuse: { kind: "VersionMismatch", versions: [...supported] } };
  let theirs: N2cVersionData;
  try {
    theirs = decodeN2cVersionData(proposal.get(version)!);
  } catch (error) {
    return { refuse: { kind: "HandshakeDecodeError", version, message: (error as Error).message } };
  }
  if (theirs.networkMagic !== magic) {
    const message = `version data mismatch: network magic ${theirs.networkMagic} /= ${magic}`;
    return { refuse: { kind: "Refused", version, message } };
  }
  return { accept: { version, data: { networkMagic: magic, query: theirs.query } } };
}

/** Wait for the client's proposal and accept or refuse it; refusals and version queries close the connection. */
export async function answerN2cHandshake(
  mux: Mux,
  magic: number,
  timeoutMs: number,
  versions: readonly number[] = N2C_VERSIONS,
): Promise<N2cNegotiated> {
  const channel = mux.channel(PROTOCOL.handshake, "responder", INGRESS_LIMITS[PROTOCOL.handshake]!);
  const driver = new Driver(channel, handshakeSpec, "server", () => timeoutMs);
  const proposal = await driver.recv();
  if (proposal.type !== "MsgProposeVersions") throw driver.fail(`handshake: unexpected ${proposal.type}`);
  const decision = negotiateN2c(magic, versions, proposal.versions);
  if ("refuse" in decision) {
    driver.send({ type: "MsgRefuse", reason: decision.refuse });
    const reason = `handshake refused: ${describeRefusal(decision.refuse)}`;
    mux.closeAfterFlush(reason);
    throw new HandshakeRefusedError(reason, decision.refuse);
  }
  const ours = encodeN2cVersionData({ networkMagic: magic, query: false });
  if (decision.accept.data.query) {
    driver.send({ type: "MsgQueryReply", versions: new Map(versions.map((v) => [v, ours] as const)) });
    mux.closeAfterFlush("handshake: answered a version query");
    throw new HandshakeRefusedError("handshake: answered a version query");
  }
  driver.send({ type: "MsgAcceptVersion", version: decision.accept.version, data: ours });
  return decision.accept;
}
