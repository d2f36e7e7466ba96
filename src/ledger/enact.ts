// Conway EPOCH's use of the ratification computed at the boundary before (cardano-ledger eras/conway/impl/src/
// Cardano/Ledger/Conway/Rules/Epoch.hs `epochTransition`, Governance/Proposals.hs `proposalsApplyEnactment`):
//   1. enacted treasury withdrawals go to the accounts still registered (`applyEnactedWithdrawals`); the rest stays
//      in the treasury;
//   2. enacted actions leave the proposals and become their purpose's root; every other proposal of that purpose
//      that does not descend from the enacted one leaves too, and expired proposals leave with their descendants;
//   3. every proposal that left returns its deposit to its return account, or to the treasury when that is not
//      registered (`returnProposalDeposits`), and its votes go with it;
//   4. the committee, its quorum, the constitution, the parameters and the protocol version become the enact
//      state's, and hot keys of cold credentials no longer in the committee are forgotten (`updateCommitteeState`).
import { hexToBytes } from "../crypto/bytes.ts";
import { parseRational } from "../crypto/rational.ts";
import { decodeCbor, type CborValue } from "../codec/cbor.ts";
import { rewardAccountCredential } from "./certs.ts";
import type { GovActionId, GovPurpose } from "./gov-state.ts";
import type { Journal } from "./journal.ts";
import type { LedgerState } from "./state.ts";

export interface EnactReport {
  readonly enacted: GovActionId[];
  /** Removed because a competing action of the same purpose was enacted. */
  readonly removed: GovActionId[];
  readonly expired: GovActionId[];
}

/** Apply `state.ratified` (the ratification of the boundary before) at this boundary. */
export function applyRatified(state: LedgerState, journal: Journal): EnactReport {
  const r = state.ratified;
  if (r === null) return { enacted: [], removed: [], expired: [] };
  const pots = state.pots;
  // 1. Withdrawals.
  for (const [credential, amount] of r.withdrawals) {
    const account = state.accounts.get(credential);
    if (!account) continue;
    journal.set(state.accounts, credential, { ...account, reward: account.reward + BigInt(amount) });
    journal.assign(pots, "treasury", pots.treasury - BigInt(amount));
  }
  // 2. The proposals that leave.
  const children = new Map<GovActionId, GovActionId[]>();
  for (const [id, p] of state.proposals)
    if (p.prev !== null) children.set(p.prev, [...(children.get(p.prev) ?? []), id]);
  const subtree = (id: GovActionId, into: Set<GovActionId>) => {
    if (into.has(id) || !state.proposals.has(id)) return;
    into.add(id);
    for (const c of children.get(id) ?? []) subtree(c, into);
  };
  const enacted = r.enacted.filter((id) => state.proposals.has(id));
  const enactedConstitution = enacted.some((id) => state.proposals.get(id)!.action === 5);
  const removed = new Set<GovActionId>();
  for (const id of enacted) {
    // The enacted action's siblings (the other children of the root it followed) leave with their subtrees.
    const { purpose, prev } = state.proposals.get(id)!;
    if (purpose === null) continue;
    for (const [other, p] of state.proposals)
      if (other !== id && p.purpose === purpose && p.prev === prev && !enacted.includes(other)) subtree(other, removed);
  }
  const expired = new Set<GovActionId>();
  for (const id of r.expired) if (!removed.has(id)) subtree(id, expired);
  for (const id of enacted) {
    expired.delete(id);
    removed.delete(id);
  }
  for (const id of [...enacted, ...removed, ...expired]) {
    const p = state.proposals.get(id);
    if (!p) continue;
    // 3. Deposits back.
    const credential = rewardAccountCredential(p.returnAccount);
    const account = credential === null ? undefined : state.accounts.get(credential);
    if (account) journal.set(state.accounts, credential!, { ...account, reward: account.reward + p.deposit });
    else journal.assign(pots, "treasury", pots.treasury + p.deposit);
    journal.assign(pots, "deposited", pots.deposited - p.deposit);
    journal.delete(state.proposals, id);
    for (const key of state.votes.keys()) if (key.startsWith(`${id}|`)) journal.delete(state.votes, key);
  }
  // 4. The enact state.
  const members = new Map(r.committee ?? []);
  for (const c of state.committee.keys()) if (!members.has(c)) journal.delete(state.committee, c);
  for (const [c, term] of members) if (state.committee.get(c) !== term) journal.set(state.committee, c, term);
  journal.assign(
    state,
    "committeeThreshold",
    r.committeeThreshold === null ? null : parseRational(r.committeeThreshold),
  );
  for (const c of state.committeeHot.keys()) if (!members.has(c)) journal.delete(state.committeeHot, c);
  for (const c of state.committeeResignAnchors.keys())
    if (!members.has(c)) journal.delete(state.committeeResignAnchors, c);
  journal.assign(state, "constitutionPolicy", r.constitutionPolicy);
  // A ratification kept before anchors were: the anchor stays unless it enacted a new constitution.
  const anchor =
    r.constitutionAnchor !== undefined ? r.constitutionAnchor : enactedConstitution ? null : state.constitutionAnchor;
  journal.assign(state, "constitutionAnchor", anchor);
  journal.assign(state, "paramChanges", decodeCbor(hexToBytes(r.paramChanges)) as Map<number, CborValue>);
  journal.assign(state, "protocolVersion", r.protocolVersion);
  for (const [purpose, id] of r.roots as [GovPurpose, GovActionId][])
    if (state.govRoots.get(purpose) !== id) journal.set(state.govRoots, purpose, id);
  journal.assign(state, "ratified", null);
  return { enacted, removed: [...removed], expired: [...expired] };
}
