// MsgRejectTx's ApplyTxErr: each ledger failure under cardano-ledger's Conway constructor tags (LEDGER ->
// UTXOW -> UTXO), the hard-fork wrapper [[6, failures]], and the mempool-failure fallback carrying our message.
import assert from "node:assert/strict";
import { NO_ASSETS } from "../../src/ledger/value.ts";
import { describe, it } from "node:test";
import { decodeCbor } from "../../src/codec/cbor.ts";
import type { LedgerFailure } from "../../src/ledger/apply-tx.ts";
import { encodeApplyTxErr, encodeMempoolRefusal } from "../../src/network/apply-tx-err.ts";

const id = "ab".repeat(32);
const one = (f: LedgerFailure) => {
  const [[era, failures]] = decodeCbor(encodeApplyTxErr([f])) as [[number, unknown[]]];
  assert.equal(era, 6);
  assert.equal(failures.length, 1);
  return failures[0];
};
const utxo = (...x: unknown[]) => [1, [0, x]];

describe("ApplyTxErr encoding", () => {
  it("puts UTXO failures under ConwayUtxowFailure 1 / UtxoFailure 0 with cardano-ledger's tags and fields", () => {
    const bytes = Uint8Array.from(Buffer.from(id, "hex"));
    assert.deepEqual(one({ kind: "BadInputsUTxO", inputs: [`${id}#2`], message: "m" }), utxo(1, [[bytes, 2]]));
    assert.deepEqual(one({ kind: "ExpiredUTxO", ttl: 5n, slot: 9n, message: "m" }), utxo(2, [[], [5]], 9));
    assert.deepEqual(
      one({ kind: "OutsideValidityIntervalUTxO", validityStart: 20n, slot: 9n, message: "m" }),
      utxo(2, [[20], []], 9),
    );
    assert.deepEqual(one({ kind: "MaxTxSizeUTxO", size: 20000, max: 16384, message: "m" }), utxo(3, 20000, 16384));
    assert.deepEqual(one({ kind: "InputSetEmptyUTxO", message: "m" }), utxo(4));
    // Conway swaps the Mismatch so that the minimum comes first, as in earlier eras.
    assert.deepEqual(one({ kind: "FeeTooSmallUTxO", minimum: 170000n, paid: 1n, message: "m" }), utxo(5, 170000, 1));
    assert.deepEqual(
      one({
        kind: "ValueNotConservedUTxO",
        consumed: { coin: 10n, assets: NO_ASSETS },
        produced: { coin: 12n, assets: NO_ASSETS },
        message: "m",
      }),
      utxo(6, 10, 12),
    );
  });

  it("puts missing signatures under UTXOW 2 and everything else in ConwayMempoolFailure 7 with the message", () => {
    const kh = "cd".repeat(28);
    assert.deepEqual(one({ kind: "MissingVKeyWitnessesUTXOW", keyHashes: [kh], message: "m" }), [
      1,
      [2, [Uint8Array.from(Buffer.from(kh, "hex"))]],
    ]);
    const f: LedgerFailure = { kind: "StakeKeyRegisteredDELEG", credential: kh, message: "already registered" };
    assert.deepEqual(one(f), [7, "already registered"]);
    assert.deepEqual(decodeCbor(encodeMempoolRefusal("the mempool is full")), [[6, [[7, "the mempool is full"]]]]);
  });
});
