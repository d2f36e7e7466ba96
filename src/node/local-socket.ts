// The node's --socket-path: the node-to-client server (src/network/n2c.ts) over the node's chain and mempool.
// Local tx-submission goes into the node's submitTx (the same path as POST /api/submit/tx): a Conway transaction
// goes to the mempool; a refusal becomes MsgRejectTx's ApplyTxErr (ledger failures as cardano-node encodes them,
// any other refusal as a mempool failure with our message). A transaction of another era is refused. Local
// state-query answers from the ledger at the tip (state-query-view.ts); local tx-monitor walks a snapshot of the
// mempool (Conway transactions, as they were submitted or relayed). The same protocols on an optional TCP port.
import type { ChainState } from "../consensus/chain-state.ts";
import type { LedgerFailure } from "../ledger/apply-tx.ts";
import type { Mempool } from "../ledger/mempool.ts";
import type { LedgerState } from "../ledger/state.ts";
import { encodeTx } from "../ledger/tx.ts";
import { CONWAY_HFC_INDEX, encodeApplyTxErr, encodeMempoolRefusal } from "../network/apply-tx-err.ts";
import type { ChainSource } from "../network/chain-source.ts";
import type { MempoolSnapshot } from "../network/local-tx-monitor.ts";
import type { LocalSubmitResult } from "../network/local-tx-submission.ts";
import type { NetLog } from "../network/mux.ts";
import { type LocalServer, type LocalServices, listenLocal, listenLocalTcp } from "../network/n2c.ts";
import type { Network } from "./config.ts";
import { ListenError } from "./http.ts";
import { type PastState, stateQueryAcquire } from "./state-query-view.ts";
import type { Point } from "../network/points.ts";

type Submit = (
  tx: Uint8Array,
) => { accepted: true; id: string } | { accepted: false; error: string; failures?: LedgerFailure[] };

export function localSubmit(submit: Submit): (hfcIndex: number, tx: Uint8Array) => LocalSubmitResult {
  return (hfcIndex, tx) => {
    if (hfcIndex !== CONWAY_HFC_INDEX) {
      const reason = encodeMempoolRefusal(`era ${hfcIndex} transactions are not accepted; Conway (6) only`);
      return { accepted: false, reason };
    }
    const r = submit(tx);
    if (r.accepted) return { accepted: true };
    const failures = r.failures ?? [];
    return {
      accepted: false,
      reason: failures.length > 0 ? encodeApplyTxErr(failures) : encodeMempoolRefusal(r.error),
    };
  };
}

/** The mempool now, oldest first, at the slot its transactions were last checked against. */
export function mempoolSnapshot(mempool: Mempool, slot: bigint): MempoolSnapshot {
  const txs = mempool.since(0).map((e) => ({ era: CONWAY_HFC_INDEX, id: e.id, bytes: encodeTx(e.tx) }));
  return { slot, capacity: mempool.capacityBytes, txs };
}

/** What the node serves its local clients from. */
export interface LocalNodeParts {
  network: Network;
  source: ChainSource;
  log: NetLog;
  submit: Submit;
  ledger: () => LedgerState;
  chain: () => ChainState;
  /** States of past points for local state-query (ChainStore.stateForQuery). */
  stateAt?: (target: Point | "immutable") => PastState;
  mempool: () => MempoolSnapshot;
}

function localServices(node: LocalNodeParts): LocalServices {
  return {
    magic: node.network.genesis.networkMagic,
    source: node.source,
    log: node.log,
    submitTx: localSubmit(node.submit),
    acquire: stateQueryAcquire(node),
    mempool: node.mempool,
  };
}

/** Serve the local socket at `path`; a socket that cannot be taken fails the start with one line naming it. */
export async function startLocalSocket(path: string, node: LocalNodeParts): Promise<LocalServer> {
  try {
    const local = await listenLocal(path, localServices(node));
    node.log.info({ socket: path }, "serving node-to-client on the local socket");
    return local;
  } catch (error) {
    throw new Error(`cannot serve node-to-client on --socket-path ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The same on --node-to-client-port; a port that cannot be bound fails the start like the other ports. */
export async function startLocalTcp(host: string, port: number, node: LocalNodeParts): Promise<LocalServer> {
  try {
    const local = await listenLocalTcp(host, port, localServices(node));
    node.log.info({ host, port: local.port }, "serving node-to-client on TCP");
    return local;
  } catch (error) {
    throw new ListenError("--node-to-client-port, node-to-client", host, port, error);
  }
}
