// Applying a block's body to the ledger (BBODY): the body fits the protocol's size limit, every transaction
// applies in order, and the issuing pool is credited with the block for the reward calculation. A block with
// any failing transaction is invalid as a whole and changes nothing.
import type { Block } from "../chain/block.ts";
import { blockBodySize } from "../chain/block.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { type LedgerFailure, applyTx } from "./apply-tx.ts";
import { Journal } from "./journal.ts";
import { currentParams } from "./param-changes.ts";
import type { LedgerParams } from "./params.ts";
import type { LedgerState } from "./state.ts";
import { blockTransactions, type Tx, TxDecodeError } from "./tx.ts";

export type BodyResult =
  | { readonly ok: true; readonly txs: Tx[] }
  | { readonly ok: false; readonly message: string; readonly failures?: LedgerFailure[] };

export function applyBlockBody(
  state: LedgerState,
  block: Pick<Block, "bodyParts"> & Partial<Pick<Block, "header">>,
  issuerPoolId: string,
  ctx: { slot: bigint; params: LedgerParams; reapply?: boolean },
  journal: Journal,
): BodyResult {
  const size = blockBodySize(block);
  // The limit in force: governance may have changed it (param-changes.ts).
  const { maxBlockBodySize } = currentParams(ctx.params, state);
  if (size > maxBlockBodySize)
    return { ok: false, message: `block body is ${size} bytes; at most ${maxBlockBodySize}` };
  let txs: Tx[];
  try {
    txs = blockTransactions(block);
  } catch (error) {
    if (error instanceof TxDecodeError) return { ok: false, message: error.message };
    throw error;
  }
  const start = journal.mark;
  for (const [i, tx] of txs.entries()) {
    const failures = applyTx(state, tx, ctx, journal);
    if (failures.length > 0) {
      journal.rollback(start);
      return {
        ok: false,
        message: `transaction ${i} (${bytesToHex(tx.body.id)}) is invalid: ${failures.map((f) => f.message).join("; ")}`,
        failures,
      };
    }
  }
  journal.set(state.blocksCurrent, issuerPoolId, (state.blocksCurrent.get(issuerPoolId) ?? 0) + 1);
  return { ok: true, txs };
}

/** Run `fn` on the live state and undo everything it changed, whatever happens. */
export function onScratch<T>(fn: (journal: Journal) => T): T {
  const journal = new Journal();
  try {
    return fn(journal);
  } finally {
    journal.rollback();
  }
}
