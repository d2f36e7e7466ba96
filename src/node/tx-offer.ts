// Our side of tx-submission2 on a connection we dialled: offer the mempool's transactions to the peer, each once,
// oldest first, waiting for new ones when the peer asks blocking. This is how a transaction submitted at any relay
// travels relay to relay and on into the producer's mempool.
import { hfcIndex } from "../network/era.ts";
import type { OutboundTx, TxOffer } from "../network/tx-submission.ts";
import { encodeEraTx, encodeEraTxId } from "../network/tx-submission.ts";
import type { Mempool } from "../ledger/mempool.ts";
import { encodeTx } from "../ledger/tx.ts";

const CONWAY = hfcIndex("Conway");

export interface MempoolFeed {
  readonly mempool: Mempool;
  /** Calls `listener` after every transaction the mempool accepts; returns the unsubscribe function. */
  onAdded(listener: () => void): () => void;
}

export function mempoolOffer(feed: MempoolFeed, closed: Promise<unknown>): TxOffer {
  let cursor = 0;
  let isClosed = false;
  let wake: (() => void) | undefined;
  void closed.then(() => {
    isClosed = true;
    wake?.();
  });
  const fresh = (max: number): OutboundTx[] => {
    const entries = feed.mempool.since(cursor).slice(0, max);
    if (entries.length > 0) cursor = entries.at(-1)!.arrival;
    return entries.map(({ tx }) => ({
      id: encodeEraTxId(CONWAY, tx.body.id),
      size: tx.size,
      tx: encodeEraTx(CONWAY, encodeTx(tx)),
    }));
  };
  return {
    async next(max, blocking) {
      for (;;) {
        const txs = fresh(max);
        if (txs.length > 0 || !blocking || isClosed) return txs;
        await new Promise<void>((resolve) => {
          const off = feed.onAdded(() => wake?.());
          wake = () => {
            off();
            wake = undefined;
            resolve();
          };
        });
      }
    },
  };
}
