// The UTxO rules: value conservation, fees, validity interval, output minimum, witnesses, unsupported features.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { baseAddress } from "../../src/formats/devnet-genesis.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { applyTx, genesisUtxo, minFee, outRef, type UtxoParams } from "../../src/ledger/utxo.ts";

const params: UtxoParams = { minFeeA: 44n, minFeeB: 155381n, minUTxOValue: 1_000_000n, maxTxSize: 16384 };
const alice = Uint8Array.from(randomBytes(32));
const bob = Uint8Array.from(randomBytes(32));
const stake = Uint8Array.from(randomBytes(32));
const addr = (seed: Uint8Array) => baseAddress(ed25519PublicKey(seed), ed25519PublicKey(stake));
const aliceAddr = addr(alice);
const funds = { [Buffer.from(aliceAddr).toString("hex")]: 100_000_000 };
const utxo = genesisUtxo(funds);
const genesisIn = { txId: blake2b256(aliceAddr), index: 0 };

function pay(amount: bigint, fee: bigint, signers = [alice], extra: Partial<Parameters<typeof buildTx>[0]> = {}) {
  return buildTx(
    {
      inputs: [genesisIn],
      outputs: [
        { address: addr(bob), coin: amount },
        { address: aliceAddr, coin: 100_000_000n - amount - fee },
      ],
      fee,
      ...extra,
    },
    signers,
  );
}
const kinds = (r: ReturnType<typeof applyTx>) => (r.ok ? [] : r.failures.map((f) => f.kind));

describe("UTxO rules", () => {
  it("genesis funds are spendable from the address's pseudo-input", () =>
    assert.ok(utxo.has(outRef(blake2b256(aliceAddr), 0))));

  it("a balanced, signed payment with enough fee moves the funds", () => {
    const fee = 200_000n;
    const tx = pay(10_000_000n, fee);
    assert.ok(minFee(params, tx.bytes.length) <= fee);
    const r = applyTx(utxo, tx.body, tx.witnesses, tx.bytes.length, 10n, params);
    assert.ok(r.ok, JSON.stringify(kinds(r)));
    assert.equal(r.utxo.has(outRef(genesisIn.txId, 0)), false, "the input is spent");
    assert.equal(r.utxo.get(outRef(tx.body.id, 0))!.coin, 10_000_000n);
    const again = applyTx(r.utxo, tx.body, tx.witnesses, tx.bytes.length, 11n, params);
    assert.deepEqual(kinds(again), ["BadInputsUTxO"], "no double spend");
  });

  it("value must be conserved", () => {
    const tx = buildTx({ inputs: [genesisIn], outputs: [{ address: addr(bob), coin: 99_900_000n }], fee: 200_000n }, [
      alice,
    ]);
    const r = applyTx(utxo, tx.body, tx.witnesses, tx.bytes.length, 10n, params);
    assert.deepEqual(kinds(r), ["ValueNotConservedUTxO"]);
    assert.match(
      !r.ok ? r.failures[0]!.message : "",
      /inputs hold 100000000 lovelace but outputs and fee take 100100000/,
    );
  });

  it("the fee must cover a*size+b", () =>
    assert.deepEqual(
      kinds(applyTx(utxo, pay(5_000_000n, 1000n).body, pay(5_000_000n, 1000n).witnesses, 300, 10n, params)),
      ["FeeTooSmallUTxO"],
    ));

  it("ttl and validity start bound the slots", () => {
    const tx = pay(5_000_000n, 200_000n, [alice], { ttl: 100n, validityStart: 50n });
    assert.ok(applyTx(utxo, tx.body, tx.witnesses, tx.bytes.length, 60n, params).ok);
    assert.deepEqual(kinds(applyTx(utxo, tx.body, tx.witnesses, tx.bytes.length, 100n, params)), ["ExpiredUTxO"]);
    assert.deepEqual(kinds(applyTx(utxo, tx.body, tx.witnesses, tx.bytes.length, 49n, params)), [
      "OutsideValidityIntervalUTxO",
    ]);
  });

  it("outputs below the minimum are refused", () =>
    assert.deepEqual(
      kinds(applyTx(utxo, pay(999_999n, 200_000n).body, pay(999_999n, 200_000n).witnesses, 300, 1n, params)),
      ["OutputTooSmallUTxO"],
    ));

  it("the owner of every input must sign, and every signature must verify", () => {
    const unsigned = pay(5_000_000n, 200_000n, [bob]);
    assert.deepEqual(kinds(applyTx(utxo, unsigned.body, unsigned.witnesses, unsigned.bytes.length, 1n, params)), [
      "MissingVKeyWitnessesUTXOW",
    ]);
    const tx = pay(5_000_000n, 200_000n);
    const forged = {
      ...tx.witnesses,
      vkeys: tx.witnesses.vkeys.map((w) => ({ ...w, signature: Uint8Array.from(w.signature).fill(1, 0, 1) })),
    };
    assert.ok(kinds(applyTx(utxo, tx.body, forged, tx.bytes.length, 1n, params)).includes("InvalidWitnessesUTXOW"));
  });

  it("unsupported features are refused by name, not ignored", () => {
    const tx = pay(5_000_000n, 200_000n);
    const r = applyTx(utxo, { ...tx.body, unsupported: ["mint"] }, tx.witnesses, tx.bytes.length, 1n, params);
    assert.deepEqual(kinds(r), ["UnsupportedFeature"]);
    assert.match(!r.ok ? r.failures[0]!.message : "", /does not support mint/);
  });
});
