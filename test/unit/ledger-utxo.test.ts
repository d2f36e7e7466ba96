// The UTXO and UTXOW rules on a devnet genesis ledger: value conservation, fees, validity interval, output
// minimum, witnesses, unsupported features, and that a refused transaction changes nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyTx, type LedgerFailure } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { minLovelace } from "../../src/ledger/rules/output-size.ts";
import { ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { minFee, outRef } from "../../src/ledger/utxo.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const bob = wallet();
const funds = 1_000_000_000_000n;

function pay(
  amount: bigint,
  fee: bigint,
  signers = [alice.paymentSeed],
  extra: Partial<Parameters<typeof buildTx>[0]> = {},
) {
  return buildTx(
    {
      inputs: [genesisInput(alice)],
      outputs: [
        { address: bob.address, coin: amount },
        { address: alice.address, coin: funds - amount - fee },
      ],
      fee,
      ...extra,
    },
    signers,
  );
}

/** Apply on the live state, then undo; returns the failure kinds. */
function check(tx: Parameters<typeof applyTx>[1], slot = 10n): string[] {
  const journal = new Journal();
  const failures: LedgerFailure[] = applyTx(state, tx, { slot, params }, journal);
  journal.rollback();
  return failures.map((f) => f.kind);
}

describe("UTxO rules", () => {
  it("genesis funds are spendable from the address's pseudo-input", () =>
    assert.equal(state.utxo.get(outRef(genesisInput(alice).txId, 0))?.coin, funds));

  it("a balanced, signed payment with enough fee moves the funds and collects the fee", () => {
    const fee = 200_000n;
    const tx = pay(10_000_000n, fee);
    assert.ok(minFee(params, tx.ledgerSize) <= fee);
    assert.equal(tx.size, tx.bytes.length, "size of a whole transaction as submitted");
    const journal = new Journal();
    assert.deepEqual(applyTx(state, tx, { slot: 10n, params }, journal), []);
    assert.equal(state.utxo.has(outRef(genesisInput(alice).txId, 0)), false, "the input is spent");
    assert.equal(state.utxo.get(outRef(tx.body.id, 0))!.coin, 10_000_000n);
    assert.equal(state.pots.fees, fee);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    assert.deepEqual(
      applyTx(state, tx, { slot: 11n, params }, journal).map((f) => f.kind),
      ["BadInputsUTxO"],
      "no double spend",
    );
    journal.rollback();
    assert.equal(state.pots.fees, 0n);
  });

  it("value must be conserved, and the message gives both sides", () => {
    const tx = buildTx(
      { inputs: [genesisInput(alice)], outputs: [{ address: bob.address, coin: funds }], fee: 200_000n },
      [alice.paymentSeed],
    );
    const journal = new Journal();
    const failures = applyTx(state, tx, { slot: 1n, params }, journal);
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["ValueNotConservedUTxO"],
    );
    assert.match(failures[0]!.message, new RegExp(`give ${funds} lovelace, but .* take ${funds + 200_000n} lovelace`));
  });

  it("the fee must cover a*size+b", () => assert.deepEqual(check(pay(5_000_000n, 1000n)), ["FeeTooSmallUTxO"]));

  it("the fee is for the size without the is_valid flag, as cardano-ledger's toCBORForSizeComputation", () => {
    // Fees of 165k-200k all encode in 5 bytes, so the size is the same whatever the fee.
    const size = pay(5_000_000n, 200_000n).ledgerSize;
    assert.equal(size, pay(5_000_000n, 200_000n).bytes.length - 1);
    const exact = minFee(params, size);
    assert.deepEqual(check(pay(5_000_000n, exact)), [], "exactly the minimum for the ledger's size");
    assert.deepEqual(check(pay(5_000_000n, exact - 1n)), ["FeeTooSmallUTxO"]);
  });

  it("ttl and validity start bound the slots", () => {
    const tx = pay(5_000_000n, 200_000n, [alice.paymentSeed], { ttl: 100n, validityStart: 50n });
    assert.deepEqual(check(tx, 60n), []);
    assert.deepEqual(check(tx, 100n), ["ExpiredUTxO"]);
    assert.deepEqual(check(tx, 49n), ["OutsideValidityIntervalUTxO"]);
  });

  it("outputs hold at least (160 + their size) * coinsPerUTxOByte, not Shelley's flat 1 ada", () => {
    assert.equal(params.coinsPerUTxOByte, 34482n / 8n, "the devnet's Alonzo lovelacePerUTxOWord, per byte");
    const minimum = minLovelace(pay(1_000_000n, 200_000n).body.outputs[0]!, params.coinsPerUTxOByte!);
    assert.equal(minimum, (160n + 65n) * 4310n, "a 65-byte output: [57-byte base address, 4-byte coin]");
    assert.ok(minimum < 1_000_000n);
    assert.deepEqual(check(pay(minimum, 200_000n)), [], "exactly the minimum is enough");
    const failures = (() => {
      const journal = new Journal();
      const f = applyTx(state, pay(minimum - 1n, 200_000n), { slot: 10n, params }, journal);
      journal.rollback();
      return f;
    })();
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["BabbageOutputTooSmallUTxO"],
    );
    assert.match(failures[0]!.message, new RegExp(`output 0 holds ${minimum - 1n}, needs ${minimum}`));
  });

  it("without a known coinsPerUTxOByte no output is accepted, and the reason says so", () => {
    const journal = new Journal();
    const failures = applyTx(
      state,
      pay(5_000_000n, 200_000n),
      { slot: 10n, params: { ...params, coinsPerUTxOByte: null } },
      journal,
    );
    journal.rollback();
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["MissingProtocolParameter"],
    );
    assert.match(failures[0]!.message, /AlonzoGenesisFile/);
  });

  it("the owner of every input must sign, and every signature must verify", () => {
    assert.deepEqual(check(pay(5_000_000n, 200_000n, [bob.paymentSeed])), ["MissingVKeyWitnessesUTXOW"]);
    const tx = pay(5_000_000n, 200_000n);
    const forged = {
      ...tx,
      witnesses: {
        ...tx.witnesses,
        vkeys: tx.witnesses.vkeys.map((w) => ({ ...w, signature: Uint8Array.from(w.signature).fill(1, 0, 1) })),
      },
    };
    assert.ok(check(forged).includes("InvalidWitnessesUTXOW"));
  });

  it("unsupported features are refused by name, not ignored", () => {
    const tx = pay(5_000_000n, 200_000n);
    const journal = new Journal();
    const failures = applyTx(
      state,
      { ...tx, body: { ...tx.body, unsupported: ["mint"] } },
      { slot: 1n, params },
      journal,
    );
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["UnsupportedFeature"],
    );
    assert.match(failures[0]!.message, /does not support mint/);
  });

  it("a refused transaction leaves the ledger exactly as it was", () => {
    const before = JSON.stringify(ledgerStateToJson(state));
    // No rollback by the caller: applyTx itself must undo a transaction that fails part-way.
    const journal = new Journal();
    assert.notDeepEqual(applyTx(state, pay(5_000_000n, 1000n), { slot: 1n, params }, journal), []);
    assert.notDeepEqual(
      applyTx(state, pay(5_000_000n, 200_000n, [bob.paymentSeed]), { slot: 1n, params }, journal),
      [],
    );
    assert.equal(JSON.stringify(ledgerStateToJson(state)), before);
  });
});
