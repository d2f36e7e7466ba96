// GetDRepState's expiry as cardano-ledger-api's queryDRepState reports it: the dormant epochs the ledger has not
// yet added to the DReps' expiries are added (Conway/Rules/Certs.hs `updateDormantDRepExpiry` on a copy), except
// for a DRep that would still be expired; the ledger itself is left as it was.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CborValue, decodeCbor } from "../../src/codec/cbor.ts";
import { LedgerState } from "../../src/ledger/state.ts";
import { answerGovQuery } from "../../src/network/state-query-gov.ts";

describe("GetDRepState with dormant epochs", () => {
  it("adds the dormant epochs to each expiry that then reaches the current epoch", () => {
    const l = new LedgerState({
      epoch: 10,
      utxo: new Map(),
      accounts: new Map(),
      pools: new Map(),
      pots: { reserves: 0n, treasury: 0n, deposited: 0n, fees: 0n, donations: 0n },
      dreps: new Map([
        ["a1".repeat(28), { deposit: 5n, expiry: 8 }], // 8 + 3 = 11 >= 10: 11
        ["b2".repeat(28), { deposit: 5n, expiry: 4 }], // 4 + 3 = 7 < 10: stays 4
      ]),
      dormantEpochs: 3,
    });
    const expiries = () =>
      [...(decodeCbor(answerGovQuery(l, 25, [[]])) as Map<CborValue, CborValue[]>).values()].map((s) => s[0]);
    assert.deepEqual(expiries(), [11, 4]);
    assert.equal(l.dreps.get("a1".repeat(28))!.expiry, 8);
    l.dormantEpochs = 0;
    assert.deepEqual(expiries(), [8, 4]);
  });
});
