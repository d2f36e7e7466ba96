// GetConstitution (Conway query 23) as cardano-ledger encodes Constitution (Conway/Governance/Procedures.hs:
// [anchor [url, data hash], guardrail script hash or null (encodeNullStrictMaybe)]), refused when the ledger does
// not know the anchor; the anchor the ledger keeps for it: from the Conway genesis, from an enacted new
// constitution (and a ratification kept before anchors were), through snapshots; cardano-cli's JSON.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { applyRatified } from "../../src/ledger/enact.ts";
import { governanceFromGenesis } from "../../src/ledger/genesis-params.ts";
import type { Proposal, Ratified } from "../../src/ledger/gov-state.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { LedgerState } from "../../src/ledger/state.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { QueryRefused } from "../../src/network/local-state-query.ts";
import { answerGovQuery } from "../../src/network/state-query-gov.ts";

const URL = "https://c.example/constitution.txt";
const HASH = "ab".repeat(32);
const POLICY = "fa".repeat(28);
const urlHex = Buffer.from(URL).toString("hex");

function ledger(): LedgerState {
  return new LedgerState({
    epoch: 3,
    utxo: new Map(),
    accounts: new Map(),
    pools: new Map(),
    pots: { reserves: 0n, treasury: 0n, deposited: 0n, fees: 0n, donations: 0n },
    constitutionPolicy: POLICY,
    constitutionAnchor: [URL, HASH],
  });
}

describe("GetConstitution", () => {
  it("encodes [anchor, guardrail script hash] and [anchor, null] without a guardrail", () => {
    const l = ledger();
    const anchor = `82 78${URL.length.toString(16)}${urlHex} 5820${HASH}`.replace(/\s+/g, "");
    assert.equal(bytesToHex(answerGovQuery(l, 23, [])), `82${anchor}581c${POLICY}`);
    l.constitutionPolicy = null;
    assert.equal(bytesToHex(answerGovQuery(l, 23, [])), `82${anchor}f6`);
  });

  it("is refused when the ledger does not know the anchor", () => {
    const l = ledger();
    l.constitutionAnchor = null;
    assert.throws(() => answerGovQuery(l, 23, []), QueryRefused);
  });

  it("reads the anchor from the Conway genesis and keeps it through a snapshot", () => {
    const g = governanceFromGenesis({ constitution: { anchor: { url: URL, dataHash: HASH }, script: POLICY } }, "g");
    assert.deepEqual(g.constitutionAnchor, [URL, HASH]);
    assert.equal(governanceFromGenesis({}, "g").constitutionAnchor, null);
    assert.equal(
      governanceFromGenesis({ constitution: { anchor: { url: URL, dataHash: "12" } } }, "g").constitutionAnchor,
      null,
    );
    const back = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(ledger()))));
    assert.deepEqual(back.constitutionAnchor, [URL, HASH]);
  });

  it("takes an enacted constitution's anchor; a ratification kept before anchors keeps or forgets it", () => {
    const proposal: Proposal = {
      action: 5,
      purpose: "constitution",
      prev: null,
      deposit: 0n,
      returnAccount: "e0" + "00".repeat(28),
      expiresAfter: 9,
      policy: null,
      constitutionAnchor: ["https://new.example", "cd".repeat(32)],
    };
    const ratified = (anchor: boolean, enacted: string[]): Ratified => ({
      epoch: 3,
      enacted,
      expired: [],
      committee: null,
      committeeThreshold: null,
      constitutionPolicy: enacted.length ? null : POLICY,
      ...(anchor && { constitutionAnchor: enacted.length ? proposal.constitutionAnchor! : [URL, HASH] }),
      paramChanges: "a0",
      protocolVersion: null,
      withdrawals: [],
      roots: enacted.length ? [["constitution", enacted[0]!]] : [],
    });
    const id = `${"11".repeat(32)}#0`;
    for (const [anchor, enacted, expected] of [
      [true, [id], ["https://new.example", "cd".repeat(32)]],
      [false, [id], null],
      [false, [], [URL, HASH]],
    ] as const) {
      const l = ledger();
      l.proposals.set(id, proposal);
      l.ratified = ratified(anchor, [...enacted]);
      applyRatified(l, new Journal());
      assert.deepEqual(l.constitutionAnchor, expected);
    }
  });
});
