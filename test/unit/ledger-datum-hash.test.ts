// Outputs carrying a datum hash (Alonzo's [address, value, datum hash], Babbage's {2: [0, hash]}) are ordinary
// outputs to the UTXO rules: nothing checks the hash until a Plutus script spends the output, so they are
// applied, and the UTxO (and its snapshot) keeps the hash for that day. Babbage's inline datums and reference
// scripts are kept the same way, bytes and all.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cborArrayOfRaw, cborMapOfRaw } from "../../src/codec/cbor-raw.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { nativeScriptHash } from "../../src/ledger/native-script.ts";
import { decodeTxOutput } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const bob = wallet();
const funds = 1_000_000_000_000n;
const fee = 300_000n;
const hash = new Uint8Array(32).fill(0xd4);

describe("outputs with a datum hash", () => {
  it("decode in both forms with the hash; a hash not 32 bytes, or an inline datum, is told apart", () => {
    const address = encodeCbor(Buffer.from(bob.address));
    const alonzo = decodeTxOutput(cborArrayOfRaw([address, encodeCbor(2_000_000), encodeCbor(Buffer.from(hash))]), 0);
    assert.equal(alonzo.datumHash, bytesToHex(hash));
    assert.equal(alonzo.datumOrScript, false);
    const babbage = (datum: Uint8Array) =>
      decodeTxOutput(
        cborMapOfRaw([
          [encodeCbor(0), address],
          [encodeCbor(1), encodeCbor(2_000_000)],
          [encodeCbor(2), datum],
        ]),
        1,
      );
    assert.equal(babbage(encodeCbor([0, Buffer.from(hash)])).datumHash, bytesToHex(hash));
    const inline = babbage(cborArrayOfRaw([encodeCbor(1), Uint8Array.from([0xd8, 0x18, 0x41, 0x00])]));
    assert.equal(inline.datumOrScript, true);
    assert.equal(inline.datumHash, undefined);
    assert.throws(
      () => decodeTxOutput(cborArrayOfRaw([address, encodeCbor(1), encodeCbor(Buffer.from(hash.subarray(1)))]), 2),
      /output 2 datum hash must be 32 bytes/,
    );
  });

  it("are applied, the UTxO keeps the hash across a snapshot, and a key-locked one is spent as usual", () => {
    const pay = buildTx(
      {
        inputs: [genesisInput(alice)],
        outputs: [
          { address: bob.address, coin: 5_000_000n, datumHash: hash },
          { address: alice.address, coin: funds - 5_000_000n - fee },
        ],
        fee,
      },
      [alice.paymentSeed],
    );
    const journal = new Journal();
    assert.deepEqual(applyTx(state, pay, { slot: 10n, params }, journal), []);
    assert.equal(state.utxo.get(outRef(pay.body.id, 0))!.datumHash, bytesToHex(hash));
    const restored = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    assert.equal(restored.utxo.get(outRef(pay.body.id, 0))!.datumHash, bytesToHex(hash));
    assert.equal(restored.utxo.get(outRef(pay.body.id, 1))!.datumHash, undefined);
    const onwards = buildTx(
      { inputs: [{ txId: pay.body.id, index: 0 }], outputs: [{ address: alice.address, coin: 5_000_000n - fee }], fee },
      [bob.paymentSeed],
    );
    assert.deepEqual(applyTx(state, onwards, { slot: 11n, params }, journal), []);
    journal.rollback();
  });

  it("an inline datum and a reference script in outputs are applied, and the UTxO and its snapshot keep them", () => {
    const datum = encodeCbor([1, Buffer.from("ab", "hex")]);
    const script = { language: 0 as const, bytes: encodeCbor([0, Buffer.from(bob.paymentHash, "hex")]) };
    const tx = buildTx(
      {
        inputs: [genesisInput(alice)],
        outputs: [
          { address: bob.address, coin: 5_000_000n, inlineDatum: datum, referenceScript: script },
          { address: alice.address, coin: funds - 5_000_000n - fee },
        ],
        fee,
      },
      [alice.paymentSeed],
    );
    const journal = new Journal();
    assert.deepEqual(applyTx(state, tx, { slot: 10n, params }, journal), []);
    const kept = state.utxo.get(outRef(tx.body.id, 0))!;
    assert.deepEqual(kept.inlineDatum, datum);
    assert.equal(kept.referenceScript?.hash, nativeScriptHash(script.bytes));
    const restored = ledgerStateFromJson(ledgerStateToJson(state)).utxo.get(outRef(tx.body.id, 0))!;
    assert.deepEqual(restored.inlineDatum, datum);
    assert.deepEqual(restored.referenceScript, kept.referenceScript);
    journal.rollback();
  });
});
