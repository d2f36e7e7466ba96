// Voting procedures (Conway body key 19) by cardano-ledger's GOV rule (eras/conway/impl/src/Cardano/Ledger/Conway/
// Rules/Gov.hs `conwayGovTransition`, after the transaction's proposals are added), every check reported:
//   UnelectedCommitteeVoters     (protocol version 11 on; before, only cardano-ledger's MEMPOOL rule checks it, so a
//                                block may hold such votes) a committee voter is the authorised hot key of a member
//                                of the enacted committee
//   VotersDoNotExist             committee voters are authorised hot keys, DReps registered, pools registered
//   GovActionsDoNotExist         the actions voted on are proposed (this transaction's proposals included)
//   DisallowedVotesDuringBootstrap   no DRep votes in the bootstrap phase (protocol version 9)
//   VotingOnExpiredGovAction     the action has not expired
//   DisallowedVoters             the committee does not vote on no-confidence or committee updates; pools vote on
//                                those, hard forks, info actions and parameter changes of the security group
// Each voter's key must sign (`getConwayWitsVKeyNeeded`); a DRep that votes stays active drepActivity epochs on.
// Votes are kept by action and voter (a later vote replaces an earlier one). Not judged yet (UnsupportedFeature):
// votes by script voters (the vote purpose).
import { asArray, asBytes, asUint, type CborValue } from "../codec/cbor.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { drepExpiry } from "./gov-epoch.ts";
import type { Journal } from "./journal.ts";
import type { LedgerParams } from "./params.ts";
import type { F } from "./rules/failure.ts";
import type { LedgerState } from "./state.ts";

export type VoteFailure =
  | F<"UnelectedCommitteeVoters", { voters: string[] }>
  | F<"VotersDoNotExist", { voters: string[] }>
  | F<"GovActionsDoNotExist", { actions: string[] }>
  | F<"DisallowedVotesDuringBootstrap", { votes: string[] }>
  | F<"VotingOnExpiredGovAction", { votes: string[] }>
  | F<"DisallowedVoters", { votes: string[] }>
  | F<"UnsupportedFeature", { features: string[] }>;

const VOTER = ["committee", "committee", "drep", "drep", "pool"] as const;

/** GOV's voting checks for a transaction's votes (as decoded); the voters' keys go to `needed`. */
export function applyVotes(
  state: LedgerState,
  raw: CborValue,
  params: LedgerParams,
  journal: Journal,
  failures: { push(...items: VoteFailure[]): number },
  needed: Set<string>,
): void {
  const gov = params.governance;
  if (!gov || !(raw instanceof Map)) {
    failures.push({
      kind: "UnsupportedFeature",
      features: ["voting procedures without Conway's governance parameters"],
      message: "the ledger is given no governance parameters, so it cannot judge votes",
    });
    return;
  }
  const votes: { voter: string; type: (typeof VOTER)[number]; hash: string; action: string; vote: number }[] = [];
  for (const [voterV, byAction] of raw as Map<CborValue, CborValue>) {
    const [tag, hashV] = asArray(voterV, "voter", 2);
    const t = Number(asUint(tag, "voter type"));
    if (t > 4) throw new Error(`voter type ${t} does not exist`);
    if (t === 1 || t === 3) {
      failures.push({
        kind: "UnsupportedFeature",
        features: ["votes by script voters (the vote purpose)"],
        message: "poolfleet's ledger does not judge votes by script voters yet",
      });
      return;
    }
    const hash = bytesToHex(asBytes(hashV, "voter", 28));
    for (const [actionV, procedure] of byAction as Map<CborValue, CborValue>) {
      const [txId, index] = asArray(actionV, "governance action id", 2);
      const action = `${bytesToHex(asBytes(txId, "governance action id", 32))}#${asUint(index, "action index")}`;
      const vote = Number(asUint(asArray(procedure, "voting procedure", 2)[0], "vote"));
      votes.push({ voter: `${VOTER[t]}:${hash}`, type: VOTER[t]!, hash, action, vote });
    }
    needed.add(hash);
  }
  const report = (kind: Exclude<VoteFailure["kind"], "UnsupportedFeature">, what: string, items: string[]) => {
    const list = [...new Set(items)];
    if (list.length === 0) return;
    const field =
      kind === "GovActionsDoNotExist"
        ? "actions"
        : kind.endsWith("Voters") || kind === "VotersDoNotExist"
          ? "voters"
          : "votes";
    failures.push({ kind, [field]: list, message: `${what}: ${list.join(", ")}` } as VoteFailure);
  };
  const hot = new Map<string, string>(); // authorised hot credential -> its cold credential
  for (const [cold, h] of state.committeeHot) if (h !== null) hot.set(h, cold);
  const committeeVoters = votes.filter((v) => v.type === "committee");
  if (gov.protocolMajor >= 11)
    report(
      "UnelectedCommitteeVoters",
      "committee votes by hot keys of no member of the enacted committee",
      committeeVoters.filter((v) => !state.committee.has(hot.get(v.hash) ?? "")).map((v) => v.hash),
    );
  const known = (v: (typeof votes)[number]) =>
    v.type === "committee" ? hot.has(v.hash) : v.type === "drep" ? state.dreps.has(v.hash) : state.pools.has(v.hash);
  report(
    "VotersDoNotExist",
    "voters who are not authorised, registered DReps or pools",
    votes.filter((v) => !known(v)).map((v) => v.voter),
  );
  report(
    "GovActionsDoNotExist",
    "votes on actions that are not proposed",
    votes.filter((v) => !state.proposals.has(v.action)).map((v) => v.action),
  );
  const cast = votes.filter((v) => known(v) && state.proposals.has(v.action));
  const label = (v: (typeof votes)[number]) => `${v.voter} on ${v.action}`;
  if (gov.protocolMajor <= 9)
    report(
      "DisallowedVotesDuringBootstrap",
      "DRep votes in the bootstrap phase",
      cast.filter((v) => v.type === "drep").map(label),
    );
  report(
    "VotingOnExpiredGovAction",
    "votes on expired actions",
    cast.filter((v) => state.proposals.get(v.action)!.expiresAfter < state.epoch).map(label),
  );
  const allowed = (v: (typeof votes)[number]) => {
    const proposal = state.proposals.get(v.action)!;
    const action = proposal.action;
    if (v.type === "committee") return action !== 3 && action !== 4;
    if (v.type === "pool")
      return (
        action === 1 || action === 3 || action === 4 || action === 6 || (action === 0 && proposal.security === true)
      );
    return true;
  };
  report("DisallowedVoters", "voters who may not vote on these actions", cast.filter((v) => !allowed(v)).map(label));
  for (const v of cast) {
    journal.set(state.votes, `${v.action}|${v.voter}`, v.vote);
    const drep = v.type === "drep" ? state.dreps.get(v.hash) : undefined;
    if (drep) journal.set(state.dreps, v.hash, { ...drep, expiry: drepExpiry(state, gov.drepActivity) });
  }
}
