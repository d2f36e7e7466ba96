// The mempool: validation against the ledger plus earlier mempool transactions, duplicates and the byte bound,
// fee-density order with parents before children, and revalidation when the tip moves.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { Mempool } from "../../src/ledger/mempool.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const funds = 1_000_000_000_000n;

function setup() {
  const ledger = devnetLedger();
  const alice = ledger.owners[0]!;
  const at = { state: ledger.state, params: ledger.params, slot: 10n, epoch: 0 };
  /** Spend `input` (holding `holding`) into `count` outputs to fresh wallets and change, at a chosen fee. */
  const split = (input: { txId: Uint8Array; index: number }, holding: bigint, fee: bigint, ttl?: bigint) =>
    buildTx(
      {
        inputs: [input],
        outputs: [
          { address: wallet().address, coin: 10_000_000n },
          { address: alice.address, coin: holding - 10_000_000n - fee },
        ],
        fee,
        ...(ttl !== undefined && { ttl }),
      },
      [alice.paymentSeed],
    );
  return { ...ledger, alice, at, split };
}

describe("mempool", () => {
  it("accepts valid transactions, refuses duplicates, double spends and invalid ones with the ledger's reason", () => {
    const { at, alice, split } = setup();
    const pool = new Mempool(100_000);
    const a = split(genesisInput(alice), funds, 200_000n);
    assert.deepEqual(pool.add(a, at), { ok: true, id: bytesToHex(a.body.id) });
    const dup = pool.add(a, at);
    assert.equal(!dup.ok && dup.reason, "duplicate");
    const doubleSpend = pool.add(split(genesisInput(alice), funds, 300_000n), at);
    assert.equal(!doubleSpend.ok && doubleSpend.reason, "invalid");
    assert.match(!doubleSpend.ok ? doubleSpend.message : "", /^BadInputsUTxO: inputs not in the UTxO/);
    // A child spending the change of `a`, which only exists in the mempool.
    const child = split({ txId: a.body.id, index: 1 }, funds - 10_000_000n - 200_000n, 200_000n);
    assert.ok(pool.add(child, at).ok, "validated on top of the transactions before it");
    assert.equal(pool.size, 2);
    assert.equal(pool.bytes, a.size + child.size);
    assert.equal(at.state.utxo.size, 1, "the ledger itself is untouched");
  });

  it("is bounded in bytes", () => {
    const { at, alice, split } = setup();
    const a = split(genesisInput(alice), funds, 200_000n);
    const pool = new Mempool(a.size + 10);
    assert.ok(pool.add(a, at).ok);
    const child = split({ txId: a.body.id, index: 1 }, funds - 10_200_000n, 200_000n);
    const r = pool.add(child, at);
    assert.equal(!r.ok && r.reason, "full");
    assert.match(!r.ok ? r.message : "", /mempool is full/);
  });

  it("offers transactions by fee density, each after the one it spends from, within the byte limit", () => {
    const { at, alice, split } = setup();
    const pool = new Mempool(100_000);
    const parent = split(genesisInput(alice), funds, 180_000n);
    const rich = split({ txId: parent.body.id, index: 1 }, funds - 10_180_000n, 900_000n);
    assert.ok(pool.add(parent, at).ok);
    assert.ok(pool.add(rich, at).ok);
    const journal = new Journal();
    const chosen = pool.select(at, 100_000, journal);
    assert.deepEqual(
      chosen.map((t) => bytesToHex(t.body.id)),
      [parent, rich].map((t) => bytesToHex(t.body.id)),
      "the richer child waits for its parent",
    );
    journal.rollback();
    assert.deepEqual(pool.select(at, parent.size, new Journal()).length, 1, "only what fits");
  });

  it("orders independent transactions by fee per byte", () => {
    const ledger = devnetLedger(3);
    const at = { state: ledger.state, params: ledger.params, slot: 10n, epoch: 0 };
    const pool = new Mempool(100_000);
    const txs = ledger.owners.map((w, i) =>
      buildTx(
        {
          inputs: [genesisInput(w)],
          outputs: [{ address: w.address, coin: funds - 200_000n - BigInt(i) * 100_000n }],
          fee: 200_000n + BigInt(i) * 100_000n,
        },
        [w.paymentSeed],
      ),
    );
    for (const tx of txs) assert.ok(pool.add(tx, at).ok);
    const order = pool.select(at, 100_000, new Journal()).map((t) => t.body.fee);
    assert.deepEqual(order, [400_000n, 300_000n, 200_000n]);
  });

  it("drops what no longer applies when the tip moves", () => {
    const { at, alice, split, params } = setup();
    const pool = new Mempool(100_000);
    const expiring = split(genesisInput(alice), funds, 200_000n, 20n);
    assert.ok(pool.add(expiring, at).ok);
    assert.deepEqual(pool.revalidate({ ...at, slot: 19n }), []);
    assert.deepEqual(pool.revalidate({ ...at, slot: 20n }), [bytesToHex(expiring.body.id)], "expired");
    assert.equal(pool.size, 0);

    const mine = split(genesisInput(alice), funds, 200_000n);
    assert.ok(pool.add(mine, at).ok);
    // A competing transaction spending the same input lands in a block from elsewhere.
    const theirs = split(genesisInput(alice), funds, 250_000n);
    assert.deepEqual(applyTx(at.state, theirs, { slot: 11n, params }, new Journal()), []);
    assert.deepEqual(pool.revalidate({ ...at, slot: 12n }), [bytesToHex(mine.body.id)]);
    assert.equal(pool.bytes, 0);
  });
});
