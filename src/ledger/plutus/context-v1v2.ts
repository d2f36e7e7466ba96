// The ScriptContext PlutusV1 and V2 scripts see, built as cardano-ledger's Alonzo and Babbage TxInfo.hs do
// (`transTxInfo`, `transTxOutV1`, `transTxOutV2`) with Conway's limits on them (Conway TxInfo.hs
// `ConwayContextError`); PlutusLedgerApi.V1/V2.Contexts give the shapes:
//   ScriptContext = Constr 0 [TxInfo, ScriptPurpose]   (Minting 0 [B policy], Spending 1 [TxOutRef])
//   V1 TxInfo = Constr 0 [inputs, outputs, fee, mint, certificates, withdrawals, validity range, signatories,
//               datums as a list of (hash, datum), id]
//   V2 TxInfo = Constr 0 [inputs, reference inputs, outputs, fee, mint, certificates, withdrawals, validity
//               range, signatories, redeemers, datums, id]
// TxOutRef = Constr 0 [TxId = Constr 0 [B id], I index]; the fee is a Value and the mint carries a zero ada entry
// (the V1/V2 quirk V3 dropped). V1's TxOut is Constr 0 [address, value, Maybe DatumHash]: an input or output with
// an inline datum cannot be shown to V1 (InlineDatumsNotSupported); reference inputs and reference scripts are
// allowed with V1 from protocol version 9 (CIP-110), and V1 just does not see them (before, they were
// ReferenceInputsNotSupported and ReferenceScriptsNotSupported); neither version sees a treasury donation
// (TreasuryDonationFieldNotSupported), proposal procedures (ProposalProceduresFieldNotSupported) nor votes
// (VotingProceduresFieldNotSupported). Each is a
// ContextError, so the transaction fails to collect. Certificates
// are shown as certificates.ts translates them.
import { decodeCertificate, rewardAccountCredential } from "../certs.ts";
import { sortedWithdrawals } from "../rules/phase-one-scripts.ts";
import type { Redeemer } from "../plutus-witness.ts";
import { dcertV1V2, stakingHash } from "./certificates.ts";
import { sortedRefs } from "../rules/redeemers.ts";
import type { TxInput, TxOutput } from "../tx.ts";
import { outRef } from "../utxo.ts";
import { type ContextSource, orderedDatums, orderedRedeemers, txOut, withdrawalPairs } from "./context-v3.ts";
import {
  address,
  bytes,
  constr,
  ContextError,
  contextGaps,
  type Data,
  int,
  just,
  list,
  map,
  NOTHING,
  value,
} from "./data.ts";

const txOutRef = (i: TxInput): Data => constr(0, [constr(0, [bytes(i.txId)]), int(i.index)]);

function txOutV1(o: TxOutput, protocolMajor: number): Data {
  if (o.inlineDatum) throw new ContextError("InlineDatumsNotSupported: PlutusV1 cannot see an inline datum");
  if (o.referenceScript && protocolMajor < 9)
    throw new ContextError("ReferenceScriptsNotSupported: PlutusV1 cannot see a reference script");
  return constr(0, [address(o.address), value(o.coin, o.assets), o.datumHash ? just(bytes(o.datumHash)) : NOTHING]);
}

/** `transPlutusPurpose` for V1 and V2: Minting 0 [policy], Spending 1 [TxOutRef]. */
export function purposeV1V2(src: ContextSource, r: Pick<Redeemer, "tag" | "index">): Data {
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
    return constr(3, [dcertV1V2(decodeCertificate(cert, r.index))]);
  }
  if (r.tag === "reward") {
    const account = sortedWithdrawals(src.body.withdrawals.keys())[r.index];
    if (account === undefined) throw new ContextError(`rewarding redeemer ${r.index} points at no withdrawal`);
    return constr(2, [stakingHash(rewardAccountCredential(account)!)]);
  }
  throw new ContextError(`scripts for ${r.tag} purposes are not shown to PlutusV1/V2 scripts`, true);
}

/** `transTxInfo` for PlutusV1 (`language` 1) or V2 (2); `range` as time.ts gives it. */
export function txInfoV1V2(src: ContextSource, language: 1 | 2, protocolMajor: number, range: Data): Data {
  const { body } = src;
  if (body.donation > 0n)
    throw new ContextError("TreasuryDonationFieldNotSupported: PlutusV1 and V2 cannot see a treasury donation");
  if (body.proposals?.length)
    throw new ContextError("ProposalProceduresFieldNotSupported: PlutusV1 and V2 cannot see proposal procedures");
  if (body.votes !== undefined)
    throw new ContextError("VotingProceduresFieldNotSupported: PlutusV1 and V2 cannot see voting procedures");
  if (language === 1 && body.referenceInputs.length > 0 && protocolMajor < 9)
    throw new ContextError("ReferenceInputsNotSupported: PlutusV1 cannot see reference inputs");
  const gaps = contextGaps(body, src.witnesses.plutus.redeemers, true);
  if (gaps.length > 0) throw new ContextError(`not shown to scripts yet: ${gaps.join(", ")}`, true);
  const out = language === 1 ? (o: TxOutput) => txOutV1(o, protocolMajor) : txOut;
  const inInfo = (i: TxInput): Data => {
    const o = src.utxo.get(outRef(i.txId, i.index));
    if (!o) throw new ContextError(`input ${outRef(i.txId, i.index)} is not in the UTxO`);
    return constr(0, [txOutRef(i), out(o)]);
  };
  const inputs = list(sortedRefs(body.inputs).map(inInfo));
  const outputs = list(body.outputs.map(out));
  const fee = value(body.fee, new Map());
  const mint = value(0n, body.mint);
  const certs = list(body.certificates.map((c, i) => dcertV1V2(decodeCertificate(c, i))));
  const signatories = list([...body.requiredSigners].sort().map((h) => bytes(h)));
  const id = constr(0, [bytes(body.id)]);
  if (language === 1) {
    const datums = list(orderedDatums(src).map(([h, d]) => constr(0, [h, d])));
    const wdrl = list(withdrawalPairs(src, stakingHash).map(([c, n]) => constr(0, [c, n])));
    return constr(0, [inputs, outputs, fee, mint, certs, wdrl, range, signatories, datums, id]);
  }
  const referenceInputs = list(sortedRefs(body.referenceInputs).map(inInfo));
  const redeemers = map(orderedRedeemers(src, (r) => purposeV1V2(src, r)));
  return constr(0, [
    inputs,
    referenceInputs,
    outputs,
    fee,
    mint,
    certs,
    map(withdrawalPairs(src, stakingHash)),
    range,
    signatories,
    redeemers,
    map(orderedDatums(src)),
    id,
  ]);
}

/** ScriptContext = Constr 0 [TxInfo, ScriptPurpose], the last argument of a V1 or V2 script. */
export const scriptContextV1V2 = (src: ContextSource, txInfo: Data, r: Redeemer): Data =>
  constr(0, [txInfo, purposeV1V2(src, r)]);
