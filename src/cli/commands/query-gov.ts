// `query drep-state` and `query treasury` against a node, as cardano-cli's `conway query` prints them: the DReps'
// state from GetDRepState (every DRep, or those asked for) as cardano-cli's list of [credential, {anchor, deposit,
// expiry}] pairs, the committee (GetCommitteeMembersState) as cardano-ledger's CommitteeMembersState JSON
// ({committee: {"keyHash-…": {expiration, hotCredsAuthStatus, nextEpochChange, status}}, epoch, threshold}), and
// the treasury (GetAccountState) as a bare number of lovelace.
import { writeFileSync } from "node:fs";
import { type CborValue } from "../../codec/cbor.ts";
import { bytesToHex, hexToBytes } from "../../crypto/bytes.ts";
import { InputError } from "../../formats/errors.ts";
import type { Command } from "../command.ts";
import { conwayQuery, currentEraResult, NODE_FLAGS, nodeTarget, withLocalNode } from "../local-node.ts";
import { json, num, ratio } from "./query-node.ts";

const hash28 = (text: string, flag: string): Uint8Array => {
  if (!/^[0-9a-fA-F]{56}$/.test(text)) throw new InputError(flag, `${text} is not a 28-byte hash in hex`);
  return hexToBytes(text.toLowerCase());
};

/** cardano-ledger's Credential JSON: {"keyHash": h} or {"scriptHash": h}. */
const credentialJson = (c: CborValue[]) => ({
  [c[0] === 0 ? "keyHash" : "scriptHash"]: bytesToHex(c[1] as Uint8Array),
});

/** An Anchor [url, hash] as JSON ({dataHash, url}), or null for SNothing ([]). */
function anchorJson(maybe: CborValue): unknown {
  const [anchor] = maybe as CborValue[];
  if (anchor === undefined) return null;
  const [url, hash] = anchor as [string, Uint8Array];
  return { dataHash: bytesToHex(hash), url };
}

export const queryDRepState: Command = {
  path: ["query", "drep-state"],
  summary: "show the DReps' expiry, anchor and deposit (cardano-cli's JSON): every DRep or the ones named",
  flags: {
    ...NODE_FLAGS,
    "all-dreps": { type: "boolean", description: "every registered DRep" },
    "drep-key-hash": { type: "string", value: "HASH", description: "a DRep's key hash (hex)" },
    "drep-script-hash": { type: "string", value: "HASH", description: "a DRep's script hash (hex)" },
    "out-file": { type: "string", value: "FILE", description: "write the JSON here instead of stdout" },
  },
  example: "poolfleet-cli query drep-state --all-dreps --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const key = flags.optionalString("drep-key-hash");
    const script = flags.optionalString("drep-script-hash");
    const named = [key, script].filter((x) => x !== undefined).length;
    if (named + (flags.boolean("all-dreps") ? 1 : 0) !== 1)
      throw new InputError("query drep-state", "give one of --all-dreps, --drep-key-hash or --drep-script-hash");
    const creds: CborValue[] = [];
    if (key !== undefined) creds.push([0, hash28(key, "--drep-key-hash")]);
    if (script !== undefined) creds.push([1, hash28(script, "--drep-script-hash")]);
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(25, creds)));
    const states = currentEraResult(answer!) as Map<CborValue[], CborValue[]>;
    const out = [...states].map(([cred, [expiry, anchor, deposit]]) => [
      credentialJson(cred),
      { anchor: anchorJson(anchor!), deposit: num(deposit!), expiry: num(expiry!) },
    ]);
    const outFile = flags.optionalString("out-file");
    if (outFile !== undefined) writeFileSync(outFile, `${json(out)}\n`);
    else io.out(json(out));
    return 0;
  },
};

/** cardano-ledger's ToJSONKey of a Credential: "keyHash-<hex>" or "scriptHash-<hex>". */
const credentialKey = (c: CborValue[]) => `${c[0] === 0 ? "keyHash" : "scriptHash"}-${bytesToHex(c[1] as Uint8Array)}`;

const MEMBER_STATUS = ["Active", "Expired", "Unrecognized"];
const NEXT_EPOCH_CHANGE = ["ToBeEnacted", "ToBeRemoved", "NoChangeExpected", "ToBeExpired", "TermAdjusted"];

/** CommitteeMembersState [members, Maybe threshold, epoch] as cardano-ledger's (aeson generic) JSON. */
export function committeeStateJson(answer: CborValue): Record<string, unknown> {
  const [members, threshold, epoch] = answer as [Map<CborValue[], CborValue[]>, CborValue[], CborValue];
  const committee = Object.fromEntries(
    [...members]
      .map(([cold, [auth, status, expiration, change]]) => {
        const [authTag, authValue] = auth as [number, CborValue];
        const hotCredsAuthStatus =
          authTag === 0
            ? { contents: credentialJson(authValue as CborValue[]), tag: "MemberAuthorized" }
            : authTag === 1
              ? { tag: "MemberNotAuthorized" }
              : { contents: anchorJson(authValue!), tag: "MemberResigned" };
        const [changeTag, termEpoch] = change as [number, CborValue?];
        const nextEpochChange =
          termEpoch === undefined
            ? { tag: NEXT_EPOCH_CHANGE[changeTag] }
            : { contents: num(termEpoch), tag: NEXT_EPOCH_CHANGE[changeTag] };
        const [expiry] = expiration as CborValue[];
        return [
          credentialKey(cold),
          {
            expiration: expiry === undefined ? null : num(expiry),
            hotCredsAuthStatus,
            nextEpochChange,
            status: MEMBER_STATUS[num(status!)],
          },
        ] as const;
      })
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const [q] = threshold;
  return { committee, epoch: num(epoch), threshold: q === undefined ? null : ratio(q) };
}

export const queryCommitteeState: Command = {
  path: ["query", "committee-state"],
  summary: "show the constitutional committee's members, their hot keys, status and terms (cardano-cli's JSON)",
  flags: {
    ...NODE_FLAGS,
    "cold-verification-key-hash": { type: "string", value: "HASH", description: "only this cold key hash (hex)" },
    "cold-script-hash": { type: "string", value: "HASH", description: "only this cold script hash (hex)" },
    "hot-key-hash": { type: "string", value: "HASH", description: "only the member with this hot key hash (hex)" },
    "hot-script-hash": { type: "string", value: "HASH", description: "only the member with this hot script hash" },
    active: { type: "boolean", description: "only active members" },
    expired: { type: "boolean", description: "only expired members" },
    unrecognized: { type: "boolean", description: "only unrecognized members (a hot key for no member)" },
    "out-file": { type: "string", value: "FILE", description: "write the JSON here instead of stdout" },
  },
  example: "poolfleet-cli query committee-state --active --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const creds = (key: string, script: string): CborValue[] => {
      const out: CborValue[] = [];
      const k = flags.optionalString(key);
      const s = flags.optionalString(script);
      if (k !== undefined) out.push([0, hash28(k, `--${key}`)]);
      if (s !== undefined) out.push([1, hash28(s, `--${script}`)]);
      return out;
    };
    const cold = creds("cold-verification-key-hash", "cold-script-hash");
    const hot = creds("hot-key-hash", "hot-script-hash");
    const statuses = (["active", "expired", "unrecognized"] as const).flatMap((f, i) => (flags.boolean(f) ? [i] : []));
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(27, cold, hot, statuses)));
    const out = committeeStateJson(currentEraResult(answer!));
    const outFile = flags.optionalString("out-file");
    if (outFile !== undefined) writeFileSync(outFile, `${json(out)}\n`);
    else io.out(json(out));
    return 0;
  },
};

export const queryConstitution: Command = {
  path: ["query", "constitution"],
  summary: "show the constitution's anchor and guardrail script (GetConstitution, cardano-cli's JSON)",
  flags: NODE_FLAGS,
  example: "poolfleet-cli query constitution --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(23)));
    const [anchor, script] = currentEraResult(answer!) as [CborValue, CborValue];
    // cardano-ledger's Constitution JSON: "script" only when there is one.
    const out = { anchor: anchorJson([anchor]), ...(script instanceof Uint8Array && { script: bytesToHex(script) }) };
    io.out(json(out));
    return 0;
  },
};

export const queryTreasury: Command = {
  path: ["query", "treasury"],
  summary: "show the treasury in lovelace (GetAccountState), as cardano-cli prints it",
  flags: NODE_FLAGS,
  example: "poolfleet-cli query treasury --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(29)));
    const [treasury] = currentEraResult(answer!) as [number | bigint, number | bigint];
    io.out(`${BigInt(treasury)}`);
    return 0;
  },
};
