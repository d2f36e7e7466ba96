// `query kes-period-info`'s counter check by itself, for the case a devnet cannot reach without a second
// certificate on chain: a certificate whose counter is behind the node's (refused by the ledger).
import assert from "node:assert/strict";
import { it } from "node:test";
import { counterCheck } from "../../src/cli/commands/kes-period-node.ts";

it("the counter check accepts the on-chain counter and one more, and names every other case", () => {
  assert.match(counterCheck(3, 3, "n.cert")[1]!, /3 \(the on-chain counter: the certificate in use\)/);
  assert.match(counterCheck(4, 3, "n.cert")[1]!, /4 \(one more than the on-chain counter/);
  assert.deepEqual(counterCheck(2, 3, "n.cert"), [
    "✗ The protocol state counter is greater than the counter in the operational certificate at: n.cert",
    "  On disk operational certificate counter: 2",
    "  Protocol state counter: 3",
  ]);
  assert.match(counterCheck(5, 3, "n.cert")[0]!, /^✗ .* too far ahead/);
  assert.deepEqual(counterCheck(0, null, "n.cert"), [
    "✗ No blocks minted so far with the operational certificate at: n.cert",
  ]);
});
