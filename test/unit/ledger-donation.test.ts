// Conway treasury donations (body key 22): the donation counts as produced in value conservation, waits in the
// ledger's donation pot for the epoch boundary, then joins the treasury; a snapshot keeps it. A stated current
// treasury value (body key 21) must be the treasury's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { tickToEpoch } from "../../src/ledger/epoch.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { devnetLedger, genesisInput } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const funds = 1_000_000_000_000n;
const fee = 300_000n;
const donate = (donation: bigint, change = funds - fee - donation) =>
  buildTx({ inputs: [genesisInput(alice)], outputs: [{ address: alice.address, coin: change }], fee, donation }, [
    alice.paymentSeed,
  ]);

describe("treasury donations", () => {
  it("a donation not covered by the inputs is ValueNotConservedUTxO", () => {
    const journal = new Journal();
    const failures = applyTx(state, donate(7_000_000n, funds - fee), { slot: 10n, params }, journal);
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["ValueNotConservedUTxO"],
    );
    assert.equal(state.pots.donations, 0n);
  });

  it("is held until the epoch boundary, then is the treasury's; the total stays the supply", () => {
    const journal = new Journal();
    const treasury = state.pots.treasury;
    assert.deepEqual(applyTx(state, donate(7_000_000n), { slot: 10n, params }, journal), []);
    assert.equal(state.pots.donations, 7_000_000n);
    assert.equal(state.pots.treasury, treasury, "not before the boundary");
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    assert.equal(ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state)))).pots.donations, 7_000_000n);
    const deltaT = state.rewardUpdate?.deltaT ?? 0n;
    const [report] = tickToEpoch(state, params, state.epoch + 1, journal);
    assert.equal(state.pots.donations, 0n);
    assert.equal(state.pots.treasury, treasury + deltaT + report!.rewardsToTreasury + 7_000_000n);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    journal.rollback();
  });

  it("a stated current treasury value must be the treasury's (ConwayTreasuryValueMismatch)", () => {
    const { state: state2, params: params2, owners: owners2 } = devnetLedger();
    const bob = owners2[0]!;
    state2.pots.treasury = 5_000_000n;
    state2.pots.reserves -= 5_000_000n;
    const stating = (value: bigint) =>
      buildTx(
        {
          inputs: [genesisInput(bob)],
          outputs: [{ address: bob.address, coin: funds - fee }],
          fee,
          currentTreasuryValue: value,
        },
        [bob.paymentSeed],
      );
    const journal = new Journal();
    const wrong = applyTx(state2, stating(4_999_999n), { slot: 10n, params: params2 }, journal);
    assert.deepEqual(
      wrong.map((f) => f.kind),
      ["ConwayTreasuryValueMismatch"],
    );
    journal.rollback();
    assert.deepEqual(applyTx(state2, stating(5_000_000n), { slot: 10n, params: params2 }, journal), []);
  });
});
