// The CLI's node-to-client connection, as cardano-cli makes it: the Unix socket from --socket-path or
// CARDANO_NODE_SOCKET_PATH, the network from --mainnet or --testnet-magic, the N2C handshake, then local
// state-query (acquire the tip, ask, release) and local tx-monitor (acquire a mempool snapshot). Any node that
// speaks node-to-client answers, poolfleet-node or cardano-node.
import { connect, type Socket } from "node:net";
import { type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { InputError } from "../formats/errors.ts";
import { handshakeSpec } from "../network/handshake.ts";
import { N2C_PROTOCOL } from "../network/limits.ts";
import { type AcquireTarget, localStateQuerySpec } from "../network/local-state-query.ts";
import { localTxMonitorSpec, type TxMonitorMessage } from "../network/local-tx-monitor.ts";
import { Mux } from "../network/mux.ts";
import { encodeN2cVersionData, N2C_VERSIONS } from "../network/n2c-handshake.ts";
import { Driver } from "../network/protocol.ts";
import type { FlagSpec, Flags } from "./command.ts";

export const MAINNET_MAGIC = 764824073;
const REPLY_MS = 30_000;

/** The flags every command that talks to a node takes. */
export const NODE_FLAGS: Record<string, FlagSpec> = {
  "socket-path": {
    type: "string",
    value: "FILE",
    description: "the node's socket (default $CARDANO_NODE_SOCKET_PATH)",
  },
  "testnet-magic": { type: "string", value: "N", description: "the network's magic" },
  mainnet: { type: "boolean", description: "the mainnet (magic 764824073)" },
};

export function nodeTarget(flags: Flags, env: NodeJS.ProcessEnv = process.env): { path: string; magic: number } {
  const path = flags.optionalString("socket-path") ?? env.CARDANO_NODE_SOCKET_PATH;
  if (!path) throw new InputError("--socket-path", "is required (or set CARDANO_NODE_SOCKET_PATH)");
  const mainnet = flags.boolean("mainnet");
  const magic = flags.optionalNatural("testnet-magic");
  if (mainnet === (magic !== undefined)) throw new InputError("--testnet-magic", "give either it or --mainnet");
  return { path, magic: mainnet ? MAINNET_MAGIC : magic! };
}

export class LocalNode {
  /** The node-to-client version the node accepted (bit 15 set: NodeToClientV_22 is 0x8016). */
  readonly version: number;
  readonly #mux: Mux;
  readonly #lsq;
  readonly #monitor;

  private constructor(mux: Mux, version: number) {
    this.version = version;
    this.#mux = mux;
    this.#lsq = new Driver(
      mux.channel(N2C_PROTOCOL.localStateQuery, "initiator", 64 * 1024 * 1024),
      localStateQuerySpec,
      "client",
      () => REPLY_MS,
    );
    this.#monitor = new Driver(
      mux.channel(N2C_PROTOCOL.localTxMonitor, "initiator", 4 * 1024 * 1024),
      localTxMonitorSpec,
      "client",
      () => REPLY_MS,
    );
  }

  static async connect(target: { path: string; magic: number }): Promise<LocalNode> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ path: target.path }, () => resolve(s));
      s.once("error", (error) =>
        reject(new InputError("--socket-path", `cannot connect to ${target.path}: ${error.message}`)),
      );
    });
    const mux = new Mux(socket, { label: "poolfleet-cli" });
    const hs = new Driver(mux.channel(0, "initiator", 5760), handshakeSpec, "client", () => REPLY_MS);
    const data = encodeN2cVersionData({ networkMagic: target.magic, query: false });
    hs.send({ type: "MsgProposeVersions", versions: new Map(N2C_VERSIONS.map((v) => [v, data] as const)) });
    const reply = await hs.recv();
    if (reply.type !== "MsgAcceptVersion") {
      mux.close("handshake refused");
      throw new InputError(
        "--testnet-magic",
        `the node at ${target.path} refused the handshake: ${JSON.stringify(reply, (_k, v: unknown) => (typeof v === "bigint" ? `${v}` : v))}`,
      );
    }
    return new LocalNode(mux, reply.version);
  }

  /** Acquire the tip, run `queries` (their CBOR values), release; the decoded answers. */
  async query(...queries: CborValue[]): Promise<CborValue[]> {
    const answers = await this.queryAt("tip", ...queries);
    if ("failure" in answers) throw new Error(`the node did not let us acquire its tip (failure ${answers.failure})`);
    return answers;
  }

  /** The same at `target` (a point, the tip or the immutable tip), or the node's acquire failure (0 too old, 1 not on chain). */
  async queryAt(target: AcquireTarget, ...queries: CborValue[]): Promise<CborValue[] | { failure: number }> {
    this.#lsq.send({ type: "MsgAcquire", target });
    const acquired = await this.#lsq.recv();
    if (acquired.type === "MsgFailure") return { failure: acquired.failure };
    if (acquired.type !== "MsgAcquired") throw new Error(`unexpected ${acquired.type}`);
    const answers: CborValue[] = [];
    for (const q of queries) {
      this.#lsq.send({ type: "MsgQuery", query: encodeCbor(q) });
      const reply = await this.#lsq.recv();
      if (reply.type !== "MsgResult") throw new Error(`unexpected ${reply.type}`);
      answers.push(decodeCbor(reply.result));
    }
    this.#lsq.send({ type: "MsgRelease" });
    return answers;
  }

  /** One tx-monitor request and its reply (acquire first with { type: "MsgAcquire" }). */
  async monitor(msg: TxMonitorMessage): Promise<TxMonitorMessage> {
    this.#monitor.send(msg);
    return this.#monitor.recv();
  }

  /** Release the mempool snapshot (no reply). */
  releaseMempool(): void {
    this.#monitor.send({ type: "MsgRelease" });
  }

  close(): void {
    this.#mux.close("done");
  }
}

/** Open a connection, run `fn`, close. */
export async function withLocalNode<T>(target: { path: string; magic: number }, fn: (n: LocalNode) => Promise<T>) {
  const node = await LocalNode.connect(target);
  try {
    return await fn(node);
  } finally {
    node.close();
  }
}

/** A query for the Conway ledger: BlockQuery (QueryIfCurrent (era 6, q)). */
export const conwayQuery = (...q: CborValue[]): CborValue => [0, [0, [6, q]]];

/** The answer to a QueryIfCurrent: [result], or an era mismatch. */
export function currentEraResult(answer: CborValue): CborValue {
  if (Array.isArray(answer) && answer.length === 1) return answer[0]!;
  throw new Error(`the node is not in the Conway era (${JSON.stringify(answer)})`);
}
