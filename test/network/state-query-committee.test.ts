// GetCommitteeMembersState (Conway query 27) byte for byte as cardano-ledger encodes CommitteeMembersState
// (cardano-ledger-api Cardano.Ledger.Api.State.Query.CommitteeMembersState; the members and their next-epoch
// change as Cardano.Ledger.Api.State.Query `queryCommitteeMembersState` works them out), with its three filters,
// malformed filters refused, cardano-cli's JSON for it, and the resignation anchors the ledger keeps for it
// (GOVCERT, the enactment that forgets removed members, snapshots with and without them).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { rational } from "../../src/crypto/rational.ts";
import { type CborValue, decodeCbor } from "../../src/codec/cbor.ts";
import { committeeStateJson } from "../../src/cli/commands/query-gov.ts";
import { applyGovCertificate } from "../../src/ledger/apply-gov-certs.ts";
import { applyRatified } from "../../src/ledger/enact.ts";
import { scriptCredential } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { LedgerState } from "../../src/ledger/state.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { QueryRefused } from "../../src/network/local-state-query.ts";
import { answerGovQuery } from "../../src/network/state-query-gov.ts";
import type { Ratified } from "../../src/ledger/gov-state.ts";
import type { GovernanceParams } from "../../src/ledger/params.ts";

const A = "a1".repeat(28); // active, authorized, term adjusted next epoch
const B = scriptCredential("b2".repeat(28)); // expired, removed next epoch
const C = "c3".repeat(28); // resigned with an anchor, expires this epoch
const D = "d4".repeat(28); // unrecognized: a hot key for a member of a proposed committee
const E = "e5".repeat(28); // enacted next epoch, no hot key
const HOT = "0f".repeat(28);
const HOT_D = scriptCredential("1e".repeat(28));

function ledger(): LedgerState {
  const l = new LedgerState({
    epoch: 4,
    utxo: new Map(),
    accounts: new Map(),
    pools: new Map(),
    pots: { reserves: 0n, treasury: 0n, deposited: 0n, fees: 0n, donations: 0n },
    committee: new Map([
      [A, 9],
      [B, 3],
      [C, 4],
    ]),
    committeeHot: new Map<string, string | null>([
      [A, HOT],
      [C, null],
      [D, HOT_D],
    ]),
    committeeResignAnchors: new Map([[C, ["https://x.example/r", "77".repeat(32)] as const]]),
    committeeThreshold: rational(2n, 3n),
  });
  const next: Ratified = {
    epoch: 4,
    enacted: [],
    expired: [],
    committee: [
      [A, 12],
      [C, 4],
      [E, 20],
    ],
    committeeThreshold: "2/3",
    constitutionPolicy: null,
    paramChanges: "a0",
    protocolVersion: null,
    withdrawals: [],
    roots: [],
  };
  l.ratified = next;
  return l;
}

const h = (s: string) => s.replace(/\s+/g, "");
const key = (x: string) => `8200581c${x}`;
const script = (x: string) => `8201581c${x}`;
// Members in Credential order: the script credential (B) first, then key hashes by bytes.
const MEMBER = {
  B: `${script("b2".repeat(28))} 84 8101 01 8103 8101`, // not authorized, Expired, [3], to be removed
  A: `${key(A)} 84 8200${key(HOT)} 00 8109 82040c`, // authorized, Active, [9], term adjusted to 12
  C: `${key(C)} 84 8202 81 82 73${Buffer.from("https://x.example/r").toString("hex")} 5820${"77".repeat(32)} 00 8104 8103`,
  D: `${key(D)} 84 8200${script("1e".repeat(28))} 02 80 8101`, // Unrecognized, no expiry, to be removed
  E: `${key(E)} 84 8101 02 80 8100`, // not authorized, Unrecognized, no expiry, to be enacted
};
const THRESHOLD = "81 d81e 820203";

const answer = (cold: CborValue[], hot: CborValue[], statuses: CborValue[], l = ledger()) =>
  bytesToHex(answerGovQuery(l, 27, [cold, hot, statuses]));

describe("GetCommitteeMembersState", () => {
  it("encodes every member, recognized or not, with the threshold and the epoch", () => {
    const expected = h(`83 a5 ${MEMBER.B} ${MEMBER.A} ${MEMBER.C} ${MEMBER.D} ${MEMBER.E} ${THRESHOLD} 04`);
    assert.equal(answer([], [], []), expected);
  });

  it("filters by cold credential, hot credential and status", () => {
    const hash = (x: string) => Uint8Array.from(Buffer.from(x, "hex"));
    assert.equal(answer([[0, hash(A)]], [], []), h(`83 a1 ${MEMBER.A} ${THRESHOLD} 04`));
    assert.equal(answer([], [[1, hash("1e".repeat(28))]], []), h(`83 a1 ${MEMBER.D} ${THRESHOLD} 04`));
    // Active and Expired only: members of the current committee alone.
    assert.equal(answer([], [], [0, 1]), h(`83 a3 ${MEMBER.B} ${MEMBER.A} ${MEMBER.C} ${THRESHOLD} 04`));
    assert.equal(answer([], [], [2]), h(`83 a2 ${MEMBER.D} ${MEMBER.E} ${THRESHOLD} 04`));
    assert.equal(answer([[1, hash("b2".repeat(28))]], [], [0]), h(`83 a0 ${THRESHOLD} 04`));
  });

  it("answers no members and no threshold without a committee, and the current committee when nothing is ratified", () => {
    const l = ledger();
    l.committeeThreshold = null;
    l.committee.clear();
    l.ratified = null;
    // Hot keys of cold credentials that are in no committee are Unrecognized and to be removed.
    const resigned = `8202 81 82 73${Buffer.from("https://x.example/r").toString("hex")} 5820${"77".repeat(32)}`;
    const unrecognized = "02 80 8101"; // Unrecognized, no expiry, to be removed
    assert.equal(
      answer([], [], [], l),
      h(
        `83 a3 ${key(A)} 84 8200${key(HOT)} ${unrecognized} ${key(C)} 84 ${resigned} ${unrecognized}` +
          ` ${key(D)} 84 8200${script("1e".repeat(28))} ${unrecognized} 80 04`,
      ),
    );
    const m = ledger();
    m.ratified = null;
    const [members] = decodeCbor(answerGovQuery(m, 27, [[], [], []])) as [Map<unknown, unknown[]>];
    const changes = [...members.values()].map((s) => s[3]);
    // B expired (3 < 4): no change; A no change; C expires this epoch; D removed.
    assert.deepEqual(changes, [[2], [2], [3], [1]]);
  });

  it("refuses malformed filters", () => {
    assert.throws(() => answer([[0, new Uint8Array(3)]], [], []), QueryRefused);
    assert.throws(() => answer([], [[7, new Uint8Array(28)]], []), QueryRefused);
    assert.throws(() => answer([], [], [3]), QueryRefused);
    assert.throws(() => answerGovQuery(ledger(), 27, [[], []]), QueryRefused);
  });

  it("prints cardano-cli's JSON", () => {
    const out = committeeStateJson(decodeCbor(answerGovQuery(ledger(), 27, [[], [], []])));
    assert.deepEqual(Object.keys(out.committee as object), [
      `keyHash-${A}`,
      `keyHash-${C}`,
      `keyHash-${D}`,
      `keyHash-${E}`,
      `scriptHash-${"b2".repeat(28)}`,
    ]);
    const c = out.committee as Record<string, unknown>;
    assert.deepEqual(c[`keyHash-${A}`], {
      expiration: 9,
      hotCredsAuthStatus: { contents: { keyHash: HOT }, tag: "MemberAuthorized" },
      nextEpochChange: { contents: 12, tag: "TermAdjusted" },
      status: "Active",
    });
    assert.deepEqual(c[`keyHash-${C}`], {
      expiration: 4,
      hotCredsAuthStatus: {
        contents: { dataHash: "77".repeat(32), url: "https://x.example/r" },
        tag: "MemberResigned",
      },
      nextEpochChange: { tag: "ToBeExpired" },
      status: "Active",
    });
    assert.deepEqual(c[`keyHash-${E}`], {
      expiration: null,
      hotCredsAuthStatus: { tag: "MemberNotAuthorized" },
      nextEpochChange: { tag: "ToBeEnacted" },
      status: "Unrecognized",
    });
    assert.equal((c[`scriptHash-${"b2".repeat(28)}`] as { status: string }).status, "Expired");
    assert.equal(out.epoch, 4);
    assert.equal(out.threshold, 2 / 3);
  });
});

describe("resignation anchors in the ledger", () => {
  const gov: GovernanceParams = {
    protocolMajor: 10,
    protocolMinor: 0,
    drepDeposit: 0n,
    drepActivity: 20,
    govActionDeposit: 0n,
    govActionLifetime: 6,
  };
  it("keeps a resignation's anchor, not a resignation without one, and survives a snapshot", () => {
    const l = ledger();
    const failures: unknown[] = [];
    const push = (...x: unknown[]) => failures.push(...x);
    const anchor = ["https://r.example", new Uint8Array(32).fill(1)];
    applyGovCertificate(l, { kind: "CommitteeResignation", cold: A, anchor }, gov, new Journal(), { push });
    applyGovCertificate(l, { kind: "CommitteeResignation", cold: B, anchor: null }, gov, new Journal(), { push });
    assert.deepEqual(failures, []);
    assert.deepEqual(l.committeeResignAnchors.get(A), ["https://r.example", "01".repeat(32)]);
    assert.equal(l.committeeResignAnchors.has(B), false);
    assert.equal(l.committeeHot.get(B), null);
    const back = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(l))));
    assert.deepEqual([...back.committeeResignAnchors], [...l.committeeResignAnchors]);
    // A snapshot written before the anchors were kept reads as none.
    const old = JSON.parse(JSON.stringify(ledgerStateToJson(l))) as Record<string, unknown>;
    delete old.committeeResignAnchors;
    assert.equal(ledgerStateFromJson(old).committeeResignAnchors.size, 0);
  });

  it("forgets the anchors of members an enacted committee no longer has", () => {
    const l = ledger(); // C resigned with an anchor; the ratified committee keeps A, C and E
    applyRatified(l, new Journal());
    assert.deepEqual([...l.committeeResignAnchors.keys()], [C]);
    const m = ledger();
    m.ratified = { ...m.ratified!, committee: [[A, 12]] };
    applyRatified(m, new Journal());
    assert.equal(m.committeeResignAnchors.size, 0);
    assert.equal(m.committeeHot.has(C), false);
  });
});
