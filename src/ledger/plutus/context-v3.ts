// The ScriptContext a PlutusV3 script sees, built as cardano-ledger's Conway TxInfo.hs does (`transTxInfo`,
// `transScriptInfo`, `transPlutusPurpose`; PlutusLedgerApi.V3.Contexts for the shapes):
//   ScriptContext = Constr 0 [TxInfo, redeemer, ScriptInfo]
//   TxInfo = Constr 0 [inputs, reference inputs, outputs, fee, mint, certificates, withdrawals, validity range,
//            signatories, redeemers, datums, id, votes, proposals, current treasury, treasury donation]
// Inputs and reference inputs in set order, each TxInInfo = Constr 0 [TxOutRef, TxOut]; TxOutRef = Constr 0 [B id,
// I index] (V3's TxId is the bytes themselves); TxOut = Constr 0 [address, value, OutputDatum, Maybe ScriptHash];
// the fee is plain lovelace and the mint has no ada entry; redeemers are keyed by ScriptPurpose in the ledger's
// order (tag, then index), datums by hash, certificates as certificates.ts shows them, the validity range as
// time.ts translates it. What poolfleet cannot yet show a script — votes, proposals, a bounded validity interval
// without the network's slot-to-time conversion — is refused as a ContextError naming it, never left out.
import { decodeCertificate, rewardAccountCredential } from "../certs.ts";
import { sortedWithdrawals } from "../rules/phase-one-scripts.ts";
import { outRef } from "../utxo.ts";
import { txCertV3 } from "./certificates.ts";
import { proposalProcedure, transVotes } from "./proposals.ts";
import type { TxBody, TxInput, TxOutput, WitnessSet } from "../tx.ts";
import { REDEEMER_TAGS, type Redeemer } from "../plutus-witness.ts";
import { sortedRefs } from "../rules/redeemers.ts";
import {
  address,
  bytes,
  constr,
  ContextError,
  contextGaps,
  type Data,
  fromBytes,
  int,
  just,
  list,
  map,
  NOTHING,
  spendingDatum,
  stakeCredential,
  tokens,
  value,
} from "./data.ts";

export interface ContextSource {
  readonly body: TxBody;
  readonly witnesses: WitnessSet;
  readonly utxo: ReadonlyMap<string, TxOutput>;
}

const txOutRef = (i: TxInput): Data => constr(0, [bytes(i.txId), int(i.index)]);

/** TxOut as PlutusV2 and V3 see it: Constr 0 [address, value, OutputDatum, Maybe ScriptHash]. */
export function txOut(o: TxOutput): Data {
  const datum = o.inlineDatum
    ? constr(2, [fromBytes(o.inlineDatum)])
    : o.datumHash
      ? constr(1, [bytes(o.datumHash)])
      : constr(0);
  const script = o.referenceScript ? just(bytes(o.referenceScript.hash)) : NOTHING;
  return constr(0, [address(o.address), value(o.coin, o.assets), datum, script]);
}

function inInfo(src: ContextSource, i: TxInput): Data {
  const o = src.utxo.get(outRef(i.txId, i.index));
  if (!o) throw new ContextError(`input ${outRef(i.txId, i.index)} is not in the UTxO`);
  return constr(0, [txOutRef(i), txOut(o)]);
}

/** The purpose a redeemer points at (`ScriptPurpose`): Minting 0, Spending 1, Rewarding 2, Certifying 3. */
function purpose(src: ContextSource, r: Pick<Redeemer, "tag" | "index">): Data {
  if (r.tag === "spend") {
    const input = sortedRefs(src.body.inputs)[r.index];
    if (!input) throw new ContextError(`spending redeemer ${r.index} points at no input`);
    return constr(1, [txOutRef(input)]);
  }
  if (r.tag === "mint") {
    const policy = [...src.body.mint.keys()].sort()[r.index];
    if (!policy) throw new ContextError(`minting redeemer ${r.index} points at no policy`);
    return constr(0, [bytes(policy)]);
  }
  if (r.tag === "cert") {
    const cert = src.body.certificates[r.index];
    if (cert === undefined) throw new ContextError(`certifying redeemer ${r.index} points at no certificate`);
    return constr(3, [int(r.index), txCertV3(decodeCertificate(cert, r.index))]);
  }
  if (r.tag === "reward") {
    const account = sortedWithdrawals(src.body.withdrawals.keys())[r.index];
    if (account === undefined) throw new ContextError(`rewarding redeemer ${r.index} points at no withdrawal`);
    return constr(2, [stakeCredential(rewardAccountCredential(account)!)]);
  }
  if (r.tag === "propose") {
    const proposal = src.body.proposals?.[r.index];
    if (proposal === undefined) throw new ContextError(`proposing redeemer ${r.index} points at no proposal`);
    return constr(5, [int(r.index), proposalProcedure(proposal)]);
  }
  throw new ContextError(`scripts for ${r.tag} purposes are not shown to PlutusV3 scripts yet`, true);
}

/** Withdrawals in the ledger's order, each credential to its amount. */
export const withdrawalPairs = (src: ContextSource, cred: (c: string) => Data): [Data, Data][] =>
  sortedWithdrawals(src.body.withdrawals.keys()).map((a) => [
    cred(rewardAccountCredential(a)!),
    int(src.body.withdrawals.get(a)!),
  ]);

/**
 * `transScriptInfo`: MintingScript 0 [policy], SpendingScript 1 [TxOutRef, Maybe datum], RewardingScript 2
 * [credential], CertifyingScript 3 [index, TxCert] — the purpose, with the datum when spending.
 */
function scriptInfo(src: ContextSource, r: Redeemer): Data {
  if (r.tag !== "spend") return purpose(src, r);
  const input = sortedRefs(src.body.inputs)[r.index]!;
  const datum = spendingDatum(src.utxo.get(outRef(input.txId, input.index))!, src.witnesses.plutus.datums);
  return constr(1, [txOutRef(input), datum ? just(datum) : NOTHING]);
}

/** The transaction's redeemers in the ledger's order (tag, then index), with their purposes as `purposeOf` shows them. */
export function orderedRedeemers(src: ContextSource, purposeOf: (r: Redeemer) => Data): [Data, Data][] {
  return [...src.witnesses.plutus.redeemers]
    .sort((a, b) => REDEEMER_TAGS.indexOf(a.tag) - REDEEMER_TAGS.indexOf(b.tag) || a.index - b.index)
    .map((r): [Data, Data] => [purposeOf(r), fromBytes(r.data)]);
}

/** The witness datums by hash, in hash order. */
export const orderedDatums = (src: ContextSource): [Data, Data][] =>
  [...src.witnesses.plutus.datums]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([h, d]): [Data, Data] => [bytes(h), fromBytes(d)]);

/** `transTxInfo` for PlutusV3 (the same for every script of the transaction); `range` as time.ts gives it. */
export function txInfoV3(src: ContextSource, range: Data): Data {
  const { body } = src;
  const gaps = contextGaps(body, src.witnesses.plutus.redeemers, true);
  if (body.votes !== undefined) gaps.push("voting procedures");
  if (gaps.length > 0) throw new ContextError(`not shown to scripts yet: ${gaps.join(", ")}`, true);
  return constr(0, [
    list(sortedRefs(body.inputs).map((i) => inInfo(src, i))),
    list(sortedRefs(body.referenceInputs).map((i) => inInfo(src, i))),
    list(body.outputs.map(txOut)),
    int(body.fee),
    tokens(body.mint),
    list(body.certificates.map((c, i) => txCertV3(decodeCertificate(c, i)))),
    map(withdrawalPairs(src, stakeCredential)),
    range,
    list([...body.requiredSigners].sort().map((h) => bytes(h))),
    map(orderedRedeemers(src, (r) => purpose(src, r))),
    map(orderedDatums(src)),
    bytes(body.id),
    body.votes === undefined ? map([]) : transVotes(body.votes),
    list((body.proposals ?? []).map(proposalProcedure)),
    body.currentTreasuryValue === undefined ? NOTHING : just(int(body.currentTreasuryValue)),
    body.donation > 0n ? just(int(body.donation)) : NOTHING,
  ]);
}

/** The one argument a PlutusV3 script is applied to: ScriptContext = Constr 0 [TxInfo, redeemer, ScriptInfo]. */
export function scriptContextV3(src: ContextSource, txInfo: Data, r: Redeemer): Data {
  return constr(0, [txInfo, fromBytes(r.data), scriptInfo(src, r)]);
}
