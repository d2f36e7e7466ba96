// Answers to the Conway governance and account queries whose data poolfleet's ledger holds, encoded as
// cardano-ledger encodes the results (tags from ouroboros-consensus's encodeShelleyQuery):
//   [23] GetConstitution -> Constitution [anchor [url, data hash], guardrail script hash or null]
//     (cardano-ledger Conway/Governance/Procedures.hs `instance EncCBOR (Constitution era)`: the script with
//     `encodeNullStrictMaybe`); refused when the ledger does not know the anchor.
//   [25, Set (Credential DRepRole)] GetDRepState -> Map credential DRepState, every DRep when the set is empty
//     (cardano-ledger-api queryDRepState). DRepState (Conway/State/VState... `instance EncCBOR DRepState`):
//     [drepExpiry, drepAnchor (StrictMaybe: [] or [anchor]), drepDeposit, drepDelegs (set, tag 258)].
//   [28, Set (Credential Staking)] GetFilteredVoteDelegatees -> Map credential DRep, the credentials that
//     delegate their votes; DRep: [0, key hash], [1, script hash], [2] always abstain, [3] always no confidence.
//   [27, Set cold, Set hot, Set MemberStatus] GetCommitteeMembersState -> CommitteeMembersState
//     (cardano-ledger-api Cardano.Ledger.Api.State.Query `queryCommitteeMembersState`, encoded as
//     Query/CommitteeMembersState.hs encodes it): [Map cold CommitteeMemberState, Maybe threshold ([] or [q]),
//     epoch]; CommitteeMemberState [HotCredAuthStatus ([0, hot] authorized, [1] not authorized, [2, Maybe anchor]
//     resigned), MemberStatus (0 Active, 1 Expired, 2 Unrecognized), Maybe expiration epoch, NextEpochChange
//     ([0] to be enacted, [1] to be removed, [2] no change, [3] to be expired, [4, epoch] term adjusted)]. The next
//     epoch's committee is the one the last ratification leads to (the ledger's `ratified`), else the current one.
//   [29] GetAccountState -> ChainAccountState [treasury, reserves].
// Maps and sets are in Data.Map/Set order of Credential (ScriptHashObj before KeyHashObj, then by hash).
// The expiry is queryDRepState's: the ledger's dormant epochs added (`updateDormantDRepExpiry`). Simplified:
// poolfleet's ledger does not keep a DRep's anchor, so drepAnchor is always SNothing ([]).
import { hexToBytes } from "../crypto/bytes.ts";
import type { CborValue } from "../codec/cbor.ts";
import type { DRep } from "../ledger/certs.ts";
import type { LedgerState } from "../ledger/state.ts";
import { QueryRefused } from "./local-state-query.ts";
import { credentialScript, scriptCredential } from "../ledger/certs.ts";
import { enc, rational, rawArray, rawMap, tagged } from "./state-query-cbor.ts";

/** A credential as [0, key hash] or [1, script hash], with a sort key in cardano-ledger's Credential order. */
function cred(c: string): readonly [string, Uint8Array] {
  const script = credentialScript(c);
  return script === null ? [`1${c}`, enc([0, hexToBytes(c)])] : [`0${script}`, enc([1, hexToBytes(script)])];
}

/** A set (tag 258) of credentials in Credential order. */
const credSet = (cs: readonly string[]): Uint8Array =>
  tagged(
    258,
    rawArray(
      [...cs]
        .map(cred)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map(([, bytes]) => bytes),
    ),
  );

/** The Conway query tags answered here. */
export const GOV_QUERY_NAMES: Record<number, string> = {
  23: "GetConstitution",
  25: "GetDRepState",
  27: "GetCommitteeMembersState",
  28: "GetFilteredVoteDelegatees",
  29: "GetAccountState",
};

/** DRep as cardano-ledger encodes it (`instance EncCBOR DRep`). */
export const encodeDRep = (d: DRep): Uint8Array =>
  d === "abstain" ? enc([2]) : d === "no-confidence" ? enc([3]) : cred(d)[1];

/** The credentials of a set argument ([0 or 1, hash] each) as the ledger keys them; tag 258 or a plain array. */
export function credentialSet(value: CborValue | undefined, what: string): string[] {
  const items = Array.isArray(value)
    ? value
    : (value as unknown) instanceof Set
      ? [...(value as unknown as Set<CborValue>)]
      : null;
  if (items === null) throw new QueryRefused(`${what} must be a set`);
  return items.map((c) => {
    const pair = c as CborValue[];
    if (!Array.isArray(pair) || pair.length !== 2 || (pair[0] !== 0 && pair[0] !== 1))
      throw new QueryRefused(`${what}: a credential is [0 or 1, hash]`);
    const h = pair[1];
    if (!(h instanceof Uint8Array) || h.length !== 28) throw new QueryRefused(`${what}: a credential hash is 28 bytes`);
    const hash = Buffer.from(h).toString("hex");
    return pair[0] === 0 ? hash : scriptCredential(hash);
  });
}

/**
 * A DRep's expiry as `queryDRepState` reports it: with the dormant epochs not yet added to the DReps' expiries
 * added, unless that still leaves it before the current epoch (Conway/Rules/Certs.hs `updateDormantDRepExpiry`,
 * applied to a copy of the state).
 */
function queriedExpiry(l: LedgerState, expiry: number): number {
  if (l.dormantEpochs === 0) return expiry;
  const actual = expiry + l.dormantEpochs;
  return actual < l.epoch ? expiry : actual;
}

/** The result (before the era wrapper) of governance query `tag`. */
export function answerGovQuery(l: LedgerState, tag: number, args: CborValue[]): Uint8Array {
  switch (tag) {
    case 23: {
      const anchor = l.constitutionAnchor;
      if (anchor === null)
        throw new QueryRefused("GetConstitution: the ledger does not hold the constitution's anchor");
      const policy = l.constitutionPolicy;
      return rawArray([enc([anchor[0], hexToBytes(anchor[1])]), enc(policy === null ? null : hexToBytes(policy))]);
    }
    case 25: {
      const wanted = credentialSet(args[0], "GetDRepState credentials");
      const dreps = [...l.dreps].filter(([c]) => wanted.length === 0 || wanted.includes(c));
      const delegators = new Map<string, string[]>();
      for (const [stake, account] of l.accounts) {
        const d = account.drep;
        if (d === undefined || d === null || d === "abstain" || d === "no-confidence") continue;
        delegators.set(d, [...(delegators.get(d) ?? []), stake]);
      }
      return rawMap(
        dreps.map(([c, s]) => {
          const state = rawArray([
            enc(queriedExpiry(l, s.expiry)),
            enc([]),
            enc(s.deposit),
            credSet(delegators.get(c) ?? []),
          ]);
          return [...cred(c), state] as const;
        }),
      );
    }
    case 28: {
      const wanted = credentialSet(args[0], "GetFilteredVoteDelegatees credentials");
      return rawMap(
        wanted.flatMap((c) => {
          const d = l.accounts.get(c)?.drep;
          return d === undefined || d === null ? [] : [[...cred(c), encodeDRep(d)] as const];
        }),
      );
    }
    case 27:
      return committeeMembersState(
        l,
        credentialSet(args[0], "GetCommitteeMembersState cold credentials"),
        credentialSet(args[1], "GetCommitteeMembersState hot credentials"),
        statusSet(args[2]),
      );
    case 29:
      return enc([l.pots.treasury, l.pots.reserves]);
    default:
      throw new QueryRefused(`Shelley query ${tag} is not supported by poolfleet`);
  }
}

/** cardano-ledger's MemberStatus (`encodeEnum`). */
export const MEMBER_STATUS = { active: 0, expired: 1, unrecognized: 2 } as const;

/** The statuses of a set argument: 0 Active, 1 Expired, 2 Unrecognized. */
function statusSet(value: CborValue | undefined): Set<number> {
  const items = Array.isArray(value)
    ? value
    : (value as unknown) instanceof Set
      ? [...(value as unknown as Set<CborValue>)]
      : null;
  if (items === null) throw new QueryRefused("GetCommitteeMembersState statuses must be a set");
  return new Set(
    items.map((x) => {
      if (x !== 0 && x !== 1 && x !== 2) throw new QueryRefused("a committee member status is 0, 1 or 2");
      return x;
    }),
  );
}

/** `queryCommitteeMembersState` over poolfleet's ledger, filtered (an empty filter does not filter). */
export function committeeMembersState(
  l: LedgerState,
  coldFilter: readonly string[],
  hotFilter: readonly string[],
  statuses: ReadonlySet<number>,
): Uint8Array {
  // No committee (none yet, or after no confidence): no members and no threshold.
  const current: ReadonlyMap<string, number> = l.committeeThreshold === null ? new Map() : l.committee;
  const next: ReadonlyMap<string, number> = l.ratified ? new Map(l.ratified.committee ?? []) : current;
  const epoch = l.epoch;
  const cold = (keys: Iterable<string>) => [...keys].filter((k) => coldFilter.length === 0 || coldFilter.includes(k));
  let relevant = new Set(
    statuses.size === 0 || statuses.has(MEMBER_STATUS.unrecognized)
      ? cold([...current.keys(), ...l.committeeHot.keys(), ...next.keys()])
      : cold(current.keys()),
  );
  if (hotFilter.length > 0)
    relevant = new Set(
      [...relevant].filter((c) => {
        const hot = l.committeeHot.get(c);
        return typeof hot === "string" && hotFilter.includes(hot);
      }),
    );
  const nextEpochChange = (c: string): Uint8Array => {
    const now = current.get(c);
    const then = next.get(c);
    if (now === undefined && then !== undefined) return enc([0]);
    if (then === undefined) return enc([1]);
    if (now !== undefined && now !== then && then !== epoch) return enc([4, then]);
    if (now === epoch || then === epoch) return enc([3]);
    return enc([2]);
  };
  const members = [...relevant].flatMap((c) => {
    const expiry = current.get(c);
    const status =
      expiry === undefined ? MEMBER_STATUS.unrecognized : epoch > expiry ? MEMBER_STATUS.expired : MEMBER_STATUS.active;
    if (statuses.size > 0 && !statuses.has(status)) return [];
    const hot = l.committeeHot.get(c);
    const anchor = l.committeeResignAnchors.get(c);
    const auth =
      hot === undefined
        ? enc([1])
        : hot === null
          ? enc([2, anchor ? [[anchor[0], hexToBytes(anchor[1])]] : []])
          : rawArray([enc(0), cred(hot)[1]]);
    const state = rawArray([auth, enc(status), enc(expiry === undefined ? [] : [expiry]), nextEpochChange(c)]);
    return [[...cred(c), state] as const];
  });
  const threshold = l.committeeThreshold === null ? enc([]) : rawArray([rational(l.committeeThreshold)]);
  return rawArray([rawMap(members), threshold, enc(epoch)]);
}
