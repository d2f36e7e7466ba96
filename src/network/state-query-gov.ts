// Answers to the Conway governance and account queries whose data poolfleet's ledger holds, encoded as
// cardano-ledger encodes the results (tags from ouroboros-consensus's encodeShelleyQuery):
//   [25, Set (Credential DRepRole)] GetDRepState -> Map credential DRepState, every DRep when the set is empty
//     (cardano-ledger-api queryDRepState). DRepState (Conway/State/VState... `instance EncCBOR DRepState`):
//     [drepExpiry, drepAnchor (StrictMaybe: [] or [anchor]), drepDeposit, drepDelegs (set, tag 258)].
//   [28, Set (Credential Staking)] GetFilteredVoteDelegatees -> Map credential DRep, the credentials that
//     delegate their votes; DRep: [0, key hash], [1, script hash], [2] always abstain, [3] always no confidence.
//   [29] GetAccountState -> ChainAccountState [treasury, reserves].
// Maps and sets are in Data.Map/Set order of Credential (ScriptHashObj before KeyHashObj, then by hash).
// Simplified: poolfleet's ledger does not keep a DRep's anchor, so drepAnchor is always SNothing ([]), and it has
// no dormant-epoch counter, so the expiry is the one held (queryDRepState adds the dormant epochs).
import { hexToBytes } from "../crypto/bytes.ts";
import type { CborValue } from "../codec/cbor.ts";
import type { DRep } from "../ledger/certs.ts";
import type { LedgerState } from "../ledger/state.ts";
import { QueryRefused } from "./local-state-query.ts";
import { credentialScript, scriptCredential } from "../ledger/certs.ts";
import { enc, rawArray, rawMap, tagged } from "./state-query-cbor.ts";

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
  25: "GetDRepState",
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

/** The result (before the era wrapper) of governance query `tag`. */
export function answerGovQuery(l: LedgerState, tag: number, args: CborValue[]): Uint8Array {
  switch (tag) {
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
          const state = rawArray([enc(s.expiry), enc([]), enc(s.deposit), credSet(delegators.get(c) ?? [])]);
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
    case 29:
      return enc([l.pots.treasury, l.pots.reserves]);
    default:
      throw new QueryRefused(`Shelley query ${tag} is not supported by poolfleet`);
  }
}
