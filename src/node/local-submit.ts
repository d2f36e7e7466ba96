// Local tx-submission into the node's submitTx (the same path as POST /api/submit/tx): a Conway transaction
// goes to the mempool; a refusal becomes MsgRejectTx's ApplyTxErr (ledger failures as cardano-node encodes
// them, any other refusal as a mempool failure with our message). A transaction of another era is refused.
import type { LedgerFailure } from "../ledger/apply-tx.ts";
import { CONWAY_HFC_INDEX, encodeApplyTxErr, encodeMempoolRefusal } from "../network/apply-tx-err.ts";
import type { LocalSubmitResult } from "../network/local-tx-submission.ts";

type Submit = (
  tx: Uint8Array,
) => { accepted: true; id: string } | { accepted: false; error: string; failures?: LedgerFailure[] };

export function localSubmit(submit: Submit): (hfcIndex: number, tx: Uint8Array) => LocalSubmitResult {
  return (hfcIndex, tx) => {
    if (hfcIndex !== CONWAY_HFC_INDEX) {
      return {
        accepted: false,
        reason: encodeMempoolRefusal(`era ${hfcIndex} transactions are not accepted; Conway (6) only`),
      };
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
