// Transactions in the real mainnet blocks: every body and witness set decodes, and every vkey witness is a
// valid signature of its transaction's id (Blake2b-256 of the body bytes as received).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockTransactions, decodeTxBody, invalidWitnesses, TxDecodeError } from "../../src/ledger/tx.ts";
import { loadRealHeaders } from "../helpers/real-headers.ts";

const blocks = loadRealHeaders()
  .flatMap((f) => f.headers)
  .filter((h) => h.block);

describe("transactions in real blocks", () => {
  it("has blocks with transactions", () => {
    const count = blocks.reduce((n, b) => n + blockTransactions(b.block!).length, 0);
    assert.ok(count >= 20, `${count} transactions`);
  });
  for (const { entry, block } of blocks) {
    it(`${entry.id}: every transaction decodes and every vkey witness signs its id`, () => {
      for (const [i, { body, witnesses }] of blockTransactions(block!).entries()) {
        assert.ok(body.inputs.length > 0, `tx ${i} spends something`);
        assert.ok(body.fee > 0n, `tx ${i} pays a fee`);
        assert.deepEqual(invalidWitnesses(body, witnesses), [], `tx ${i}`);
        if (witnesses.vkeys.length > 0) {
          const forged = { ...body, id: Uint8Array.from(body.id).fill(0, 0, 1) };
          assert.ok(invalidWitnesses(forged, witnesses).length > 0, "a witness of another id fails");
        }
      }
    });
  }
  it("malformed bodies are refused with TxDecodeError", () => {
    for (const bad of [Uint8Array.of(), Uint8Array.of(0xa0), Uint8Array.of(0x80), Uint8Array.of(0xa1, 0x00, 0x01)]) {
      assert.throws(() => decodeTxBody(bad), TxDecodeError);
    }
  });
});
