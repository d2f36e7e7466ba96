// cardano-ledger Conway GOVCERT (eras/conway/impl/src/Cardano/Ledger/Conway/Rules/GovCert.hs) for DRep and
// committee certificates, and the DRep half of Conway DELEG (Rules/Deleg.hs `checkStakeDelegateeRegistered`):
//   DRep registration    not registered yet (ConwayDRepAlreadyRegistered), the deposit stated is drepDeposit
//                        (ConwayDRepIncorrectDeposit); expires drepActivity epochs from now (dormant epochs are
//                        not counted yet)
//   DRep retirement      registered (ConwayDRepNotRegistered), the refund stated is the deposit it paid
//                        (ConwayDRepIncorrectRefund); the deposit comes back, votes delegated to it are cleared
//   DRep update          registered (ConwayDRepNotRegistered); its expiry moves as at registration
//   hot-key authorisation, resignation
//                        the cold credential has not resigned (ConwayCommitteeHasPreviouslyResigned) and is a
//                        member of the enacted committee or of one a pending committee update proposes
//                        (ConwayCommitteeIsUnknown); then its hot credential, or its resignation, replaces what it had
//   vote delegation      to a registered DRep (DelegateeDRepNotRegisteredDELEG), except in Conway's bootstrap phase
//                        (protocol version 9) and to the built-in abstain and no-confidence DReps
// Every check of a certificate runs and each failure is reported; a certificate applies only when none failed.
// What it takes and gives back for value conservation is what cardano-ledger counts from the body, whether or not
// the certificate applies (`conwayDRepDepositsTxCerts`: drepDeposit per registration; `conwayDRepRefundsTxCerts`:
// the deposit a registered DRep paid), so a refused certificate is not also reported as unbalanced.
import type { CborValue } from "../codec/cbor.ts";
import type { Certificate, DRep } from "./certs.ts";
import { drepExpiry } from "./gov-epoch.ts";
import type { Journal } from "./journal.ts";
import type { GovernanceParams } from "./params.ts";
import type { F } from "./rules/failure.ts";
import type { LedgerState } from "./state.ts";

export type GovCertFailure =
  | F<"ConwayDRepAlreadyRegistered", { credential: string }>
  | F<"ConwayDRepNotRegistered", { credential: string }>
  | F<"ConwayDRepIncorrectDeposit", { credential: string; supplied: bigint; expected: bigint }>
  | F<"ConwayDRepIncorrectRefund", { credential: string; supplied: bigint; expected: bigint }>
  | F<"ConwayCommitteeHasPreviouslyResigned", { cold: string }>
  | F<"ConwayCommitteeIsUnknown", { cold: string }>
  | F<"DelegateeDRepNotRegisteredDELEG", { drep: string }>;

type GovCertificate = Extract<
  Certificate,
  { kind: "DRepRegistration" | "DRepDeregistration" | "DRepUpdate" | "CommitteeHotAuth" | "CommitteeResignation" }
>;

export const isGovCertificate = (c: Certificate): c is GovCertificate =>
  c.kind === "DRepRegistration" ||
  c.kind === "DRepDeregistration" ||
  c.kind === "DRepUpdate" ||
  c.kind === "CommitteeHotAuth" ||
  c.kind === "CommitteeResignation";

/** `checkStakeDelegateeRegistered` for the DRep: the failure, or null when the delegation may go ahead. */
export function drepDelegateeFailure(state: LedgerState, drep: DRep, gov: GovernanceParams): GovCertFailure | null {
  if (drep === "abstain" || drep === "no-confidence" || gov.protocolMajor <= 9 || state.dreps.has(drep)) return null;
  return {
    kind: "DelegateeDRepNotRegisteredDELEG",
    drep,
    message: `votes delegated to DRep ${drep}, which is not registered`,
  };
}

/** GOVCERT for one certificate; returns the deposit it took and the refund it gave. */
export function applyGovCertificate(
  state: LedgerState,
  cert: GovCertificate,
  gov: GovernanceParams,
  journal: Journal,
  failures: { push(...items: GovCertFailure[]): number },
): { deposit: bigint; refund: bigint } {
  const none = { deposit: 0n, refund: 0n };
  const expiry = drepExpiry(state, gov.drepActivity);
  switch (cert.kind) {
    case "DRepRegistration": {
      const credential = cert.credential;
      const found: GovCertFailure[] = [];
      if (state.dreps.has(credential))
        found.push({
          kind: "ConwayDRepAlreadyRegistered",
          credential,
          message: `DRep ${credential} is already registered`,
        });
      if (cert.deposit !== gov.drepDeposit)
        found.push({
          kind: "ConwayDRepIncorrectDeposit",
          credential,
          supplied: cert.deposit,
          expected: gov.drepDeposit,
          message: `DRep registration of ${credential} states a deposit of ${cert.deposit}; the deposit is ${gov.drepDeposit}`,
        });
      if (found.length > 0) failures.push(...found);
      else journal.set(state.dreps, credential, { deposit: gov.drepDeposit, expiry });
      return { deposit: gov.drepDeposit, refund: 0n };
    }
    case "DRepDeregistration": {
      const credential = cert.credential;
      const drep = state.dreps.get(credential);
      if (!drep) {
        failures.push({ kind: "ConwayDRepNotRegistered", credential, message: `DRep ${credential} is not registered` });
        return none;
      }
      if (cert.refund !== drep.deposit) {
        failures.push({
          kind: "ConwayDRepIncorrectRefund",
          credential,
          supplied: cert.refund,
          expected: drep.deposit,
          message: `DRep retirement of ${credential} states a refund of ${cert.refund}; the deposit paid is ${drep.deposit}`,
        });
        return { deposit: 0n, refund: drep.deposit };
      }
      journal.delete(state.dreps, credential);
      for (const [account, a] of state.accounts)
        if (a.drep === credential) journal.set(state.accounts, account, { ...a, drep: null });
      return { deposit: 0n, refund: drep.deposit };
    }
    case "DRepUpdate": {
      const drep = state.dreps.get(cert.credential);
      if (!drep) {
        const credential = cert.credential;
        failures.push({ kind: "ConwayDRepNotRegistered", credential, message: `DRep ${credential} is not registered` });
        return none;
      }
      journal.set(state.dreps, cert.credential, { ...drep, expiry });
      return none;
    }
    case "CommitteeHotAuth":
    case "CommitteeResignation": {
      const cold = cert.cold;
      const found: GovCertFailure[] = [];
      if (state.committeeHot.get(cold) === null)
        found.push({
          kind: "ConwayCommitteeHasPreviouslyResigned",
          cold,
          message: `committee member ${cold} has resigned; a resigned member cannot act again`,
        });
      // `isCurrentMember || isPotentialFutureMember`: enacted, or added by a committee update proposed.
      const proposed = [...state.proposals.values()].some((p) => p.action === 4 && p.members?.includes(cold));
      if (!state.committee.has(cold) && !proposed)
        found.push({
          kind: "ConwayCommitteeIsUnknown",
          cold,
          message: `${cold} is not a member of the committee, nor of a proposed one`,
        });
      if (found.length > 0) return (failures.push(...found), none);
      journal.set(state.committeeHot, cold, cert.kind === "CommitteeHotAuth" ? cert.hot : null);
      const anchor = cert.kind === "CommitteeResignation" ? anchorOf(cert.anchor) : null;
      if (anchor) journal.set(state.committeeResignAnchors, cold, anchor);
      return none;
    }
  }
}

/** An anchor [url, data hash] as [url, hash in hex]; null for none. */
function anchorOf(a: CborValue): readonly [string, string] | null {
  if (!Array.isArray(a) || typeof a[0] !== "string" || !(a[1] instanceof Uint8Array)) return null;
  return [a[0], Buffer.from(a[1]).toString("hex")];
}
