// Proposal procedures as a PlutusV3 script sees them (cardano-ledger Conway TxInfo.hs `transProposal`,
// `transGovAction`; PlutusLedgerApi.V3 for the shapes):
//   ProposalProcedure = Constr 0 [I deposit, return account's Credential, GovernanceAction]
//   GovernanceAction: HardForkInitiation 1 [Maybe GovernanceActionId, ProtocolVersion Constr 0 [I major, I minor]],
//     TreasuryWithdrawals 2 [Map Credential I, Maybe ScriptHash], NoConfidence 3 [Maybe GovernanceActionId],
//     NewConstitution 5 [Maybe GovernanceActionId, Constitution Constr 0 [Maybe ScriptHash]], InfoAction 6 []
//   GovernanceActionId = Constr 0 [B txid, I index]
//   ParameterChange 0 [Maybe GovernanceActionId, ChangedParameters, Maybe ScriptHash]
// with withdrawals in the ledger's order of reward accounts. Committee updates are not translated yet: a script
// that would see one is not run (UnsupportedFeature).
import { asArray, asBytes, asUint, type CborValue } from "../../codec/cbor.ts";
import { bytesToHex } from "../../crypto/bytes.ts";
import { rewardAccountCredential } from "../certs.ts";
import { sortedWithdrawals } from "../rules/phase-one-scripts.ts";
import { Tag } from "cbor-x";
import { bytes, constr, ContextError, type Data, int, just, list, map, NOTHING, stakeCredential } from "./data.ts";

const maybeId = (v: CborValue): Data => {
  if (v === null || v === undefined) return NOTHING;
  const [txId, index] = asArray(v, "governance action id", 2);
  return just(constr(0, [bytes(asBytes(txId, "governance action id", 32)), int(asUint(index, "action index"))]));
};
const maybeHash = (v: CborValue): Data => (v == null ? NOTHING : just(bytes(asBytes(v, "script hash", 28))));

/**
 * `ChangedParameters`: the update as cardano-ledger's `ToPlutusData` gives it — a map from each field's CBOR key to
 * its value: numbers as integers, fractions (tag 30) as [numerator, denominator], execution units, prices and
 * thresholds as lists, cost models as a map from language to its parameters.
 */
function changed(v: CborValue): Data {
  if (typeof v === "number" || typeof v === "bigint") return int(v);
  if (v instanceof Tag && v.tag === 30) return changed(v.value as CborValue);
  if (Array.isArray(v)) return list(v.map(changed));
  if (v instanceof Map)
    return map(
      [...v]
        .sort(([a], [b]) => Number(a) - Number(b)) // by field (or language), as the ledger's Map lists them
        .map(([k, x]): [Data, Data] => [changed(k), changed(x)]),
    );
  throw new ContextError(`a parameter change holds a value scripts cannot be shown: ${String(v)}`, true);
}

function governanceAction(action: CborValue[]): Data {
  switch (action[0]) {
    case 0:
      return constr(0, [maybeId(action[1]!), changed(action[2]!), maybeHash(action[3]!)]);
    case 1: {
      const [major, minor] = asArray(action[2]!, "protocol version", 2);
      return constr(1, [maybeId(action[1]!), constr(0, [int(asUint(major, "major")), int(asUint(minor, "minor"))])]);
    }
    case 2: {
      const amounts = new Map<string, bigint>();
      for (const [a, n] of action[1] as Map<CborValue, CborValue>)
        amounts.set(bytesToHex(asBytes(a, "withdrawal account", 29)), asUint(n, "withdrawal"));
      const pairs = sortedWithdrawals(amounts.keys()).map((a): [Data, Data] => [
        stakeCredential(rewardAccountCredential(a)!),
        int(amounts.get(a)!),
      ]);
      return constr(2, [map(pairs), maybeHash(action[2]!)]);
    }
    case 3:
      return constr(3, [maybeId(action[1]!)]);
    case 5:
      return constr(5, [maybeId(action[1]!), constr(0, [maybeHash(asArray(action[2]!, "constitution", 2)[1]!)])]);
    case 6:
      return constr(6);
    default:
      throw new ContextError(`governance action ${String(action[0])} is not shown to PlutusV3 scripts yet`, true);
  }
}

/** `transProposal`: one proposal procedure as PlutusV3's ProposalProcedure. */
export function proposalProcedure(raw: CborValue): Data {
  const [deposit, account, action] = asArray(raw, "proposal procedure", 4);
  const credential = rewardAccountCredential(bytesToHex(asBytes(account, "return account", 29)));
  if (credential === null) throw new ContextError("a proposal's return account is malformed");
  return constr(0, [
    int(asUint(deposit, "deposit")),
    stakeCredential(credential),
    governanceAction(asArray(action!, "action")),
  ]);
}

const VOTER_RANK = [
  [0, 1],
  [0, 0],
  [1, 1],
  [1, 0],
  [2, 0],
] as const; // voter type to [constructor, credential order]: ScriptHashObj sorts before KeyHashObj in the ledger

/**
 * `txInfoVotes` (cardano-ledger Conway TxInfo.hs `transVotingProcedures`): each voter — CommitteeVoter 0 [hot
 * Credential], DRepVoter 1 [Credential], StakePoolVoter 2 [B pool id] — to its votes by GovernanceActionId
 * (VoteNo 0, VoteYes 1, Abstain 2), both maps in the ledger's key order (voter constructor, then script
 * credentials before key ones, then hash; action ids by transaction id, then index).
 */
export function transVotes(raw: CborValue): Data {
  if (!(raw instanceof Map)) return map([]);
  const voters = [...(raw as Map<CborValue, CborValue>)].map(([voterV, byAction]) => {
    const [tagV, hashV] = asArray(voterV, "voter", 2);
    const tag = Number(asUint(tagV, "voter type"));
    if (tag > 4) throw new ContextError(`voter type ${tag} does not exist`);
    const hash = asBytes(hashV, "voter", 28);
    const [ctor, credRank] = VOTER_RANK[tag]!;
    const voter = tag === 4 ? constr(2, [bytes(hash)]) : constr(ctor, [constr(tag % 2 === 1 ? 1 : 0, [bytes(hash)])]);
    const votes = [...(byAction as Map<CborValue, CborValue>)]
      .map(([idV, procedure]) => {
        const [txId, index] = asArray(idV, "governance action id", 2);
        const id = asBytes(txId, "governance action id", 32);
        const ix = asUint(index, "action index");
        const vote = Number(asUint(asArray(procedure, "voting procedure", 2)[0], "vote"));
        return { key: `${bytesToHex(id)}${ix.toString(16).padStart(8, "0")}`, id, ix, vote };
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ id, ix, vote }): [Data, Data] => [constr(0, [bytes(id), int(ix)]), constr(vote)]);
    return { key: `${ctor}${credRank}${bytesToHex(hash)}`, pair: [voter, map(votes)] as [Data, Data] };
  });
  return map(voters.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((v) => v.pair));
}
