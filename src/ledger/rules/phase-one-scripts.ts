// The script rules of phase 1 for one transaction, gathered as cardano-ledger's Babbage/Conway UTXOW gathers
// them (`babbageUtxowTransition`): the scripts provided (witness set, and the reference scripts of spent and
// reference inputs — `getScriptsProvided`), the scripts needed with their purposes (script-locked inputs, minting
// policies, script-credential certificates and withdrawals — `getScriptsNeeded`), then scripts.ts (missing, extraneous, native scripts hold), datums.ts,
// redeemers.ts and the script integrity hash (script-integrity.ts), and every Plutus script the transaction
// carries — in its witness set or as an output's reference script — deserialises (Babbage
// `validateScriptsWellFormed`: `MalformedScriptWitnesses`, `MalformedReferenceScripts`). What it finds for
// phase 2 — the purposes that run Plutus scripts and their languages — comes back with the failures.
import { decodeCbor } from "../../codec/cbor.ts";
import { type Certificate, credentialScript, rewardAccountCredential } from "../certs.ts";
import { proposalPolicy } from "../proposals.ts";
import { nativeScriptFromCbor, type TimelockContext } from "../native-script.ts";
import type { PlutusParams } from "../params.ts";
import type { TxBody, TxInput, TxOutput, WitnessSet } from "../tx.ts";
import { outRef } from "../utxo.ts";
import { type DatumFailure, datumFailures } from "./datums.ts";
import { inputWitness } from "./input-witnesses.ts";
import { type RedeemerFailure, redeemerFailures, type ScriptPurpose, sortedRefs } from "./redeemers.ts";
import { type IntegrityFailure, integrityFailures, scriptIntegrityHash } from "./script-integrity.ts";
import { type ProvidedScript, type ScriptFailure, scriptFailures } from "./scripts.ts";
import type { F } from "./failure.ts";
import { deserialise } from "../plutus/evaluate.ts";

export type PhaseOneScriptFailure =
  | ScriptFailure
  | DatumFailure
  | RedeemerFailure
  | IntegrityFailure
  | F<"MalformedScriptWitnesses", { scriptHashes: string[] }>
  | F<"MalformedReferenceScripts", { scriptHashes: string[] }>;

export interface PhaseOneScripts {
  readonly failures: PhaseOneScriptFailure[];
  readonly provided: ReadonlyMap<string, ProvidedScript>;
  /** The purposes whose script is a Plutus script, to run in phase 2. */
  readonly plutusPurposes: ScriptPurpose[];
  /** The Plutus languages those scripts are in. */
  readonly languages: ReadonlySet<number>;
  /** Bytes of the reference scripts of spent and reference inputs, each reference counted (Conway's fee). */
  readonly refScriptBytes: number;
}

const resolve = (utxo: ReadonlyMap<string, TxOutput>, inputs: readonly TxInput[]) =>
  inputs.flatMap((i) => {
    const ref = outRef(i.txId, i.index);
    const output = utxo.get(ref);
    return output ? [{ ref, output }] : [];
  });

/**
 * Withdrawals in cardano-ledger's order (`Map RewardAccount`): by network, then script credentials before key
 * credentials (`ScriptHashObj` < `KeyHashObj`), then by hash. Reward redeemers index this order.
 */
export function sortedWithdrawals(accounts: Iterable<string>): string[] {
  const key = (a: string) => `${a[1]}${a[0] === "f" ? 0 : 1}${a.slice(2)}`;
  return [...accounts].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The credential whose witness a certificate needs (Conway `getConwayTxCertScriptHash`, `getVKeyWitnessConwayTxCert`):
 * the stake credential of registrations with a deposit, deregistrations and every delegation, the DRep's for DRep
 * certificates, the cold credential for committee certificates.
 */
export function witnessedCredential(c: Certificate): string | null {
  switch (c.kind) {
    case "StakeRegistration":
      return c.deposit === undefined ? null : c.credential;
    case "StakeDeregistration":
    case "StakeDelegation":
    case "StakeRegistrationDelegation":
    case "VoteDelegation":
    case "VoteRegistrationDelegation":
    case "DRepRegistration":
    case "DRepDeregistration":
    case "DRepUpdate":
      return c.credential;
    case "CommitteeHotAuth":
    case "CommitteeResignation":
      return c.cold;
    default:
      return null;
  }
}

export function phaseOneScripts(
  utxo: ReadonlyMap<string, TxOutput>,
  body: TxBody,
  witnesses: WitnessSet,
  certs: readonly Certificate[],
  timelock: TimelockContext,
  params: PlutusParams | undefined,
): PhaseOneScripts {
  const spent = resolve(utxo, sortedRefs(body.inputs));
  const referenced = resolve(utxo, body.referenceInputs);
  const provided = new Map<string, ProvidedScript>();
  let refScriptBytes = 0;
  for (const { output } of [...spent, ...referenced]) {
    const s = output.referenceScript;
    if (!s) continue;
    refScriptBytes += s.bytes.length;
    if (s.language === 0) provided.set(s.hash, { language: 0, script: nativeScriptFromCbor(decodeCbor(s.bytes)) });
    else provided.set(s.hash, { language: s.language, bytes: s.bytes });
  }
  for (const w of witnesses.nativeScripts) provided.set(w.hash, { language: 0, script: w.script });
  for (const s of witnesses.plutus.scripts) provided.set(s.hash, { language: s.language, bytes: s.bytes });
  const witnessed = new Set([
    ...witnesses.nativeScripts.map((w) => w.hash),
    ...witnesses.plutus.scripts.map((s) => s.hash),
  ]);

  // Spending pointers index the inputs sorted as a set, each input counted whether found or not.
  const purposes: ScriptPurpose[] = [];
  for (const [index, input] of sortedRefs(body.inputs).entries()) {
    const output = utxo.get(outRef(input.txId, input.index));
    const w = output ? inputWitness(output.address) : { kind: "none" as const };
    if (w.kind === "script") purposes.push({ tag: "spend", index, hash: w.hash });
  }
  [...body.mint.keys()].sort().forEach((hash, index) => purposes.push({ tag: "mint", index, hash }));
  certs.forEach((c, index) => {
    const hash = credentialScript(witnessedCredential(c) ?? "");
    if (hash) purposes.push({ tag: "cert", index, hash });
  });
  sortedWithdrawals(body.withdrawals.keys()).forEach((account, index) => {
    const hash = credentialScript(rewardAccountCredential(account) ?? "");
    if (hash) purposes.push({ tag: "reward", index, hash });
  });
  // Conway: a proposal naming a guardrail script needs it (the propose purpose).
  body.proposals?.forEach((p, index) => {
    const hash = proposalPolicy(p);
    if (hash) purposes.push({ tag: "propose", index, hash });
  });
  const needed = new Set(purposes.map((p) => p.hash));

  const failures: PhaseOneScriptFailure[] = scriptFailures(needed, provided, witnessed, timelock);
  const language = (hash: string) => provided.get(hash)?.language;
  const allowed = new Set<string>();
  for (const o of [...body.outputs, ...referenced.map((r) => r.output)]) if (o.datumHash) allowed.add(o.datumHash);
  failures.push(
    ...datumFailures({
      spent: spent.map(({ ref, output }) => {
        const w = inputWitness(output.address);
        return { ref, output, language: w.kind === "script" ? language(w.hash) : undefined };
      }),
      allowed,
      received: new Set(witnesses.plutus.datums.keys()),
    }),
  );
  const plutusHashes = new Set([...needed].filter((h) => (language(h) ?? 0) > 0));
  const plutusPurposes = purposes.filter((p) => plutusHashes.has(p.hash));
  const languages = new Set([...plutusHashes].map((h) => language(h)!));
  // Without the Alonzo-onwards parameters there are no cost models (phase 2 then refuses any Plutus script) and
  // no execution-unit limit; the rest of these rules hold all the same.
  failures.push(...redeemerFailures(purposes, plutusHashes, witnesses.plutus.redeemers, params));
  const expected = scriptIntegrityHash(witnesses.plutus, languages, params?.costModels ?? new Map());
  failures.push(...integrityFailures(body.scriptDataHash, expected));
  const malformed = (list: readonly { language: number; bytes: Uint8Array; hash: string }[]) =>
    list
      .filter((s) => s.language > 0 && typeof deserialise(s.language as 1 | 2 | 3, s.bytes) === "string")
      .map((s) => s.hash);
  const badWitnesses = malformed(witnesses.plutus.scripts);
  if (badWitnesses.length > 0)
    failures.push({
      kind: "MalformedScriptWitnesses",
      scriptHashes: badWitnesses,
      message: `Plutus scripts ${badWitnesses.join(", ")} in the witness set do not deserialise`,
    });
  const outputs = body.collateralReturn ? [...body.outputs, body.collateralReturn] : body.outputs;
  const badReferences = malformed(outputs.flatMap((o) => (o.referenceScript ? [o.referenceScript] : [])));
  if (badReferences.length > 0)
    failures.push({
      kind: "MalformedReferenceScripts",
      scriptHashes: badReferences,
      message: `Plutus reference scripts ${badReferences.join(", ")} in the outputs do not deserialise`,
    });
  return { failures, provided, plutusPurposes, languages, refScriptBytes };
}
