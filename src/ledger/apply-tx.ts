// Applying one transaction to the ledger state: the UTXO, UTXOW, DELEG, POOL and withdrawal rules of the
// Shelley-family ledger, as Babbage/Conway have them, for what poolfleet supports (multi-asset values, minting
// under native-script policies, datums, reference inputs and scripts, collateral, the phase-1 rules of Plutus
// scripts, vkey witnesses, stake and pool certificates, metadata); rules of their own are in rules/ (output
// minimum, output value size, value conservation, fees, collateral, scripts needed and native-script evaluation,
// datums, redeemers, the script integrity hash, phase 2, network ids, auxiliary data and metadata, the witnesses an
// input needs), and the certificate rules in apply-certs.ts. Every check runs and every failure is reported, named after
// cardano-ledger's predicate failures, with the figures to act on. A transaction that fails changes nothing
// (its journal entries are rolled back).
import { bytesToHex } from "../crypto/bytes.ts";
import { blake2b224 } from "../crypto/hash.ts";
import { applyCertificates, type CertFailure } from "./apply-certs.ts";
import { applyProposals, type ProposalFailure } from "./proposals.ts";
import { applyVotes, type VoteFailure } from "./votes.ts";
import { endDormantEpochs } from "./gov-epoch.ts";
import { type Certificate, credentialScript, decodeCertificate, rewardAccountCredential } from "./certs.ts";
import type { Journal } from "./journal.ts";
import { currentParams } from "./param-changes.ts";
import type { LedgerParams } from "./params.ts";
import type { LedgerState } from "./state.ts";
import { type AuxDataFailure, auxDataFailures } from "./rules/aux-data.ts";
import { type ConservationFailure, conservationFailures } from "./rules/conservation.ts";
import type { F } from "./rules/failure.ts";
import { type InputWitness, inputWitness } from "./rules/input-witnesses.ts";
import { type NetworkFailure, networkFailures, poolNetworkFailures } from "./rules/network-id.ts";
import { type OutputSizeFailure, outputSizeFailures } from "./rules/output-size.ts";
import { type OutputTooBigFailure, outputTooBigFailures } from "./rules/output-too-big.ts";
import { collateralBalance, type CollateralFailure, collateralFailures } from "./rules/collateral.ts";
import { refScriptFee, scriptFee, totalExUnits } from "./rules/min-fee.ts";
import { type PhaseOneScriptFailure, phaseOneScripts } from "./rules/phase-one-scripts.ts";
import { type PhaseTwoFailure, phaseTwo } from "./rules/phase-two.ts";
import { unsupportedFeatures } from "./rules/unsupported.ts";
import { bootstrapKeyHash, invalidWitnesses, type TxBody, type WitnessSet } from "./tx.ts";
import { minFee, outRef } from "./utxo.ts";

export type LedgerFailure =
  | OutputSizeFailure
  | OutputTooBigFailure
  | ConservationFailure
  | PhaseOneScriptFailure
  | CollateralFailure
  | PhaseTwoFailure
  | NetworkFailure
  | AuxDataFailure
  | CertFailure
  | ProposalFailure
  | VoteFailure
  | F<"InputSetEmptyUTxO">
  | F<"BadInputsUTxO", { inputs: string[] }>
  | F<"BabbageNonDisjointRefInputs", { inputs: string[] }>
  | F<"ExpiredUTxO", { ttl: bigint; slot: bigint }>
  | F<"OutsideValidityIntervalUTxO", { validityStart: bigint; slot: bigint }>
  | F<"MaxTxSizeUTxO", { size: number; max: number }>
  | F<"FeeTooSmallUTxO", { minimum: bigint; paid: bigint }>
  | F<"InvalidWitnessesUTXOW", { keys: string[] }>
  | F<"MissingVKeyWitnessesUTXOW", { keyHashes: string[] }>
  | F<"UnsupportedFeature", { features: string[] }>
  | F<"MalformedCertificate", { index: number }>
  | F<"MalformedGovernance">
  | F<"ConwayTreasuryValueMismatch", { supplied: bigint; expected: bigint }>
  | F<"WithdrawalsNotInRewardsCERTS", { account: string; requested: bigint; balance: bigint | null }>;

export interface LedgerTx {
  readonly body: TxBody;
  readonly witnesses: WitnessSet;
  /** The auxiliary data's bytes as they appear in the transaction, or null. */
  readonly auxBytes: Uint8Array | null;
  /** The size the fee is paid for and maxTxSize bounds: body, witnesses, auxiliary data (see Tx.ledgerSize). */
  readonly ledgerSize: number;
  /** The is_valid flag: false claims a Plutus script fails (then only the collateral is taken). */
  readonly isValid: boolean;
}

export interface TxContext {
  readonly slot: bigint;
  readonly params: LedgerParams;
  /**
   * Re-applying a transaction already validated on this chain (replay from the database, mempool revalidation):
   * signatures are not checked again, as cardano-ledger's reapplyTx does. Every state-dependent rule still runs.
   */
  readonly reapply?: boolean;
}

/** Check `tx` against `state` and apply it; returns the failures (empty when applied). */
export function applyTx(state: LedgerState, tx: LedgerTx, ctx: TxContext, journal: Journal): LedgerFailure[] {
  const { body, witnesses } = tx;
  const { slot } = ctx;
  const params = currentParams(ctx.params, state);
  const failures: LedgerFailure[] = [];
  const certs: Certificate[] = [];
  for (const [i, raw] of body.certificates.entries()) {
    try {
      certs.push(decodeCertificate(raw, i));
    } catch (error) {
      failures.push({ kind: "MalformedCertificate", index: i, message: (error as Error).message });
    }
  }
  const unsupported = unsupportedFeatures(body, witnesses, certs);
  if (unsupported.length > 0) {
    const features = [...new Set(unsupported)];
    failures.push({
      kind: "UnsupportedFeature",
      features,
      message: `poolfleet's ledger does not support ${features.join(", ")}`,
    });
  }
  if (failures.length > 0) return failures;

  // UTXO: inputs, validity interval, size, fee, output minimum.
  if (body.inputs.length === 0)
    failures.push({ kind: "InputSetEmptyUTxO", message: "the transaction spends no inputs" });
  // Inputs are a set: the decoder refuses duplicates (Conway) or collapses them (earlier eras); deduplicated
  // here again so that no input is ever counted or spent twice, whatever built the body.
  const refs = [...new Set(body.inputs.map((i) => outRef(i.txId, i.index)))];
  // Babbage: spent, collateral and reference inputs must all exist (`validateBadInputsUTxO`).
  const collateralRefs = [...new Set(body.collateral.map((i) => outRef(i.txId, i.index)))];
  const referenceRefs = [...new Set(body.referenceInputs.map((i) => outRef(i.txId, i.index)))];
  const missing = [...new Set([...refs, ...collateralRefs, ...referenceRefs])].filter((r) => !state.utxo.has(r));
  if (missing.length > 0)
    failures.push({
      kind: "BadInputsUTxO",
      inputs: missing,
      message: `inputs not in the UTxO (spent or never existed): ${missing.join(", ")}`,
    });
  if (body.ttl !== undefined && slot >= body.ttl)
    failures.push({
      kind: "ExpiredUTxO",
      ttl: body.ttl,
      slot,
      message: `the transaction expired at slot ${body.ttl}; now slot ${slot}`,
    });
  if (body.validityStart !== undefined && slot < body.validityStart)
    failures.push({
      kind: "OutsideValidityIntervalUTxO",
      validityStart: body.validityStart,
      slot,
      message: `the transaction is valid from slot ${body.validityStart}; now slot ${slot}`,
    });
  if (tx.ledgerSize > params.maxTxSize)
    failures.push({
      kind: "MaxTxSizeUTxO",
      size: tx.ledgerSize,
      max: params.maxTxSize,
      message: `the transaction is ${tx.ledgerSize} bytes; at most ${params.maxTxSize}`,
    });
  const timelock = {
    signers: new Set(witnesses.vkeys.map((w) => bytesToHex(blake2b224(w.vkey)))),
    ...(body.ttl !== undefined && { ttl: body.ttl }),
    ...(body.validityStart !== undefined && { validityStart: body.validityStart }),
  };
  const scripts = phaseOneScripts(state.utxo, body, witnesses, certs, timelock, params.plutus);
  const plutus = params.plutus;
  const units = totalExUnits(witnesses.plutus.redeemers.map((r) => r.exUnits));
  const minimum =
    minFee(params, tx.ledgerSize) +
    (plutus
      ? scriptFee(plutus.prices, units) + refScriptFee(plutus.minFeeRefScriptCostPerByte, scripts.refScriptBytes)
      : 0n);
  if (body.fee < minimum)
    failures.push({
      kind: "FeeTooSmallUTxO",
      minimum,
      paid: body.fee,
      message: `fee ${body.fee} is below the minimum ${minimum} for ${tx.ledgerSize} bytes`,
    });
  // Babbage checks the collateral return as it checks every output (`allSizedOutputsTxBodyF`).
  const allOutputs = body.collateralReturn ? [...body.outputs, body.collateralReturn] : body.outputs;
  failures.push(...outputSizeFailures(allOutputs, params.coinsPerUTxOByte));
  failures.push(...outputTooBigFailures(allOutputs, params.maxValueSize));
  if (plutus)
    failures.push(
      ...collateralFailures(
        {
          collateral: new Map(collateralRefs.flatMap((r) => (state.utxo.has(r) ? [[r, state.utxo.get(r)!]] : []))),
          count: body.collateral.length,
          collateralReturn: body.collateralReturn,
          totalCollateral: body.totalCollateral,
          fee: body.fee,
          hasRedeemers: witnesses.plutus.redeemers.length > 0,
        },
        plutus,
      ),
    );
  // Conway: an input may not be both spent and referenced (`disjointRefInputs`, from protocol version 9).
  const both = referenceRefs.filter((r) => refs.includes(r));
  if (both.length > 0 && (plutus?.protocolMajor ?? 9) >= 9)
    failures.push({
      kind: "BabbageNonDisjointRefInputs",
      inputs: both,
      message: `inputs ${both.join(", ")} are both spent and referenced`,
    });
  failures.push(...networkFailures(body, params.mainnet));
  failures.push(...poolNetworkFailures(certs, params.mainnet));

  // Keys that must sign: owners of spent and collateral inputs, required signers (body key 14), withdrawal
  // accounts, certificate subjects (Conway `getConwayWitsVKeyNeeded`). A Byron input needs its root's witness
  // (which cannot be given here); script-locked inputs and minting policies need their scripts
  // (phase-one-scripts.ts).
  const needed = new Set<string>(body.requiredSigners);
  for (const r of [...refs, ...collateralRefs]) {
    const w: InputWitness = state.utxo.has(r) ? inputWitness(state.utxo.get(r)!.address) : { kind: "none" };
    if (w.kind === "key") needed.add(w.hash);
  }
  // Keys witnessed: vkey witnesses and bootstrap witnesses, each by the key hash it stands for.
  const witnessed = new Set([...timelock.signers, ...(witnesses.bootstraps ?? []).map(bootstrapKeyHash)]);
  failures.push(...scripts.failures);
  for (const account of body.withdrawals.keys()) needed.add(rewardAccountCredential(account)!);

  const start = journal.mark;
  // Withdrawals drain reward accounts first (Conway order), so a transaction may withdraw and deregister.
  let withdrawn = 0n;
  for (const [account, amount] of body.withdrawals) {
    const cred = rewardAccountCredential(account)!;
    const acct = state.accounts.get(cred);
    if (!acct || acct.reward !== amount) {
      failures.push({
        kind: "WithdrawalsNotInRewardsCERTS",
        account,
        requested: amount,
        balance: acct ? acct.reward : null,
        message: acct
          ? `withdrawal of ${amount} from ${account} must take the whole balance, ${acct.reward}`
          : `withdrawal from ${account}, which is not a registered stake address`,
      });
      continue;
    }
    withdrawn += amount;
    journal.set(state.accounts, cred, { ...acct, reward: 0n });
  }
  // Conway LEDGER: a stated current treasury value must be the treasury's (`ConwayTreasuryValueMismatch`).
  if (body.currentTreasuryValue !== undefined && body.currentTreasuryValue !== state.pots.treasury)
    failures.push({
      kind: "ConwayTreasuryValueMismatch",
      supplied: body.currentTreasuryValue,
      expected: state.pots.treasury,
      message: `the transaction states the treasury holds ${body.currentTreasuryValue}; it holds ${state.pots.treasury}`,
    });
  // Conway LEDGER/CERTS `updateDormantDRepExpiries`: a transaction with proposals ends the dormant epochs.
  if (body.proposals && body.proposals.length > 0) endDormantEpochs(state, journal);
  const certDeposits = applyCertificates(state, certs, params, journal, failures, needed);
  const refunds = certDeposits.refunds;
  // GOV after CERTS (Conway LEDGER): a proposal may return its deposit to an account the transaction registers.
  // A proposal or vote the body decoder let through but GOV cannot read is refused, never thrown.
  let deposits = certDeposits.deposits;
  try {
    if (body.proposals) deposits += applyProposals(state, body.id, body.proposals, params, journal, failures);
    if (body.votes !== undefined) applyVotes(state, body.votes, params, journal, failures, needed);
  } catch (error) {
    failures.push({ kind: "MalformedGovernance", message: `governance procedures: ${(error as Error).message}` });
  }

  if (missing.length === 0)
    failures.push(
      ...conservationFailures({
        inputs: refs.map((r) => state.utxo.get(r)!),
        withdrawals: withdrawn,
        refunds,
        mint: body.mint,
        outputs: body.outputs,
        fee: body.fee,
        deposits,
        donation: body.donation,
      }),
    );

  // UTXOW: the auxiliary data matches its hash, every needed key signed, every signature valid.
  failures.push(...auxDataFailures(body, tx.auxBytes));
  // Script credentials need their scripts (phase-one-scripts.ts), not signatures.
  const unwitnessed = [...needed].filter((h) => credentialScript(h) === null && !witnessed.has(h));
  if (unwitnessed.length > 0)
    failures.push({
      kind: "MissingVKeyWitnessesUTXOW",
      keyHashes: unwitnessed,
      message: `missing signatures from keys ${unwitnessed.join(", ")}`,
    });
  if (!ctx.reapply) {
    const bad = invalidWitnesses(body, witnesses).map(bytesToHex);
    if (bad.length > 0)
      failures.push({
        kind: "InvalidWitnessesUTXOW",
        keys: bad,
        message: `signatures that do not verify over the transaction id, by keys ${bad.join(", ")}`,
      });
  }

  // Phase 2 runs only once every phase-1 rule holds (cardano-ledger UTXOS).
  const phase2 = failures.length === 0 ? phaseTwo({ ...tx, utxo: state.utxo }, scripts, plutus) : null;
  if (phase2) failures.push(...phase2.failures);
  if (failures.length > 0) {
    journal.rollback(start);
    return failures;
  }
  if (phase2?.collateralOnly) {
    // is_valid false and a script did fail: only the collateral is taken, its return comes back as the output
    // after the transaction's own (cardano-ledger UTXOS `alonzoEvalScriptsTxInvalid`); nothing else applies.
    journal.rollback(start);
    const collateral = new Map(collateralRefs.map((r) => [r, state.utxo.get(r)!]));
    const paid = collateralBalance({ collateral, collateralReturn: body.collateralReturn }).coin;
    for (const r of collateralRefs) journal.delete(state.utxo, r);
    if (body.collateralReturn) {
      const { bytes: _, ...back } = body.collateralReturn;
      journal.set(state.utxo, outRef(body.id, body.outputs.length), back);
    }
    journal.assign(state.pots, "fees", state.pots.fees + paid);
    return [];
  }
  for (const r of refs) journal.delete(state.utxo, r);
  // The UTxO keeps what the rules read later, not the output's bytes (a view into the whole block).
  body.outputs.forEach(({ bytes: _, ...output }, i) => journal.set(state.utxo, outRef(body.id, i), output));
  journal.assign(state.pots, "fees", state.pots.fees + body.fee);
  if (body.donation > 0n) journal.assign(state.pots, "donations", state.pots.donations + body.donation);
  journal.assign(state.pots, "deposited", state.pots.deposited + deposits - refunds);
  return [];
}
