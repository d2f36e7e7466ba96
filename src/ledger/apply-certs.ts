// cardano-ledger's DELEG and POOL rules (as Conway's CERTS runs them) for the certificates poolfleet supports:
// stake registration (both forms), deregistration with its refund, delegation, registration-and-delegation,
// pool registration, update and retirement, Conway's vote delegations (alone, with a stake delegation, with a
// registration: Rules/Deleg.hs `ConwayDelegCert`, `ConwayRegDelegCert`), and the DRep and committee certificates
// of GOVCERT (apply-gov-certs.ts). Each certificate sees the effect of the ones before it; the deposits taken and
// refunds given feed value conservation in apply-tx.ts, and the keys each needs to have signed are added to
// `needed`.
import { applyGovCertificate, drepDelegateeFailure, type GovCertFailure, isGovCertificate } from "./apply-gov-certs.ts";
import type { Certificate } from "./certs.ts";
import type { Journal } from "./journal.ts";
import type { LedgerParams } from "./params.ts";
import type { F } from "./rules/failure.ts";
import type { LedgerState } from "./state.ts";

export type CertFailure =
  | GovCertFailure
  | F<"UnsupportedFeature", { features: string[] }>
  | F<"StakeKeyRegisteredDELEG", { credential: string }>
  | F<"StakeKeyNotRegisteredDELEG", { credential: string }>
  | F<"StakeKeyNonZeroAccountBalanceDELEG", { credential: string; balance: bigint }>
  | F<"IncorrectDepositDELEG", { credential: string; stated: bigint; expected: bigint }>
  | F<"DelegateeNotRegisteredDELEG", { poolId: string }>
  | F<"StakePoolCostTooLowPOOL", { poolId: string; cost: bigint; minimum: bigint }>
  | F<"VRFKeyHashAlreadyRegistered", { poolId: string; vrfKeyHash: string }>
  | F<"StakePoolNotRegisteredOnKeyPOOL", { poolId: string }>
  | F<"StakePoolRetirementWrongEpochPOOL", { poolId: string; epoch: number; current: number; max: number }>;

/** The DELEG and POOL rules, certificate by certificate, each seeing the effect of the ones before it. */
export function applyCertificates(
  state: LedgerState,
  certs: Certificate[],
  params: LedgerParams,
  journal: Journal,
  failures: { push(...items: CertFailure[]): number },
  needed: Set<string>,
): { deposits: bigint; refunds: bigint } {
  let deposits = 0n;
  let refunds = 0n;
  /** Registers `credential` unless a check fails; `blocked` (a delegatee failed) keeps it from applying. */
  const register = (
    credential: string,
    stated: bigint | undefined,
    pool: string | null,
    drep?: string,
    blocked = false,
  ) => {
    if (state.accounts.has(credential)) {
      failures.push({
        kind: "StakeKeyRegisteredDELEG",
        credential,
        message: `stake key ${credential} is already registered`,
      });
    } else if (stated !== undefined && stated !== params.keyDeposit) {
      failures.push({
        kind: "IncorrectDepositDELEG",
        credential,
        stated,
        expected: params.keyDeposit,
        message: `stake registration of ${credential} states a deposit of ${stated}; the deposit is ${params.keyDeposit}`,
      });
    } else if (!blocked) {
      journal.set(state.accounts, credential, { reward: 0n, deposit: params.keyDeposit, pool, drep: drep ?? null });
      deposits += params.keyDeposit;
    }
  };
  const poolRegistered = (poolId: string) => {
    if (state.pools.has(poolId)) return true;
    failures.push({
      kind: "DelegateeNotRegisteredDELEG",
      poolId,
      message: `delegation to pool ${poolId}, which is not registered`,
    });
    return false;
  };
  const registeredAccount = (credential: string, message: string) => {
    const account = state.accounts.get(credential);
    if (!account) failures.push({ kind: "StakeKeyNotRegisteredDELEG", credential, message });
    return account;
  };
  const gov = params.governance;
  for (const cert of certs) {
    const governance =
      isGovCertificate(cert) || cert.kind === "VoteDelegation" || cert.kind === "VoteRegistrationDelegation";
    if (governance && !gov) {
      failures.push({
        kind: "UnsupportedFeature",
        features: [`${cert.kind} certificates without Conway's governance parameters`],
        message: `the ledger is given no DRep deposit or activity, so it cannot judge a ${cert.kind} certificate`,
      });
      continue;
    }
    if (isGovCertificate(cert)) {
      needed.add(
        cert.kind === "CommitteeHotAuth" || cert.kind === "CommitteeResignation" ? cert.cold : cert.credential,
      );
      const { deposit, refund } = applyGovCertificate(state, cert, gov!, journal, failures);
      deposits += deposit;
      refunds += refund;
      continue;
    }
    switch (cert.kind) {
      case "StakeRegistration":
        // The Shelley form needs no signature; Conway's form, which states the deposit, does.
        if (cert.deposit !== undefined) needed.add(cert.credential);
        register(cert.credential, cert.deposit, null);
        break;
      case "StakeRegistrationDelegation":
        needed.add(cert.credential);
        if (poolRegistered(cert.poolId)) register(cert.credential, cert.deposit, cert.poolId);
        break;
      case "StakeDeregistration": {
        needed.add(cert.credential);
        const account = registeredAccount(cert.credential, `stake key ${cert.credential} is not registered`);
        if (!account) break;
        if (account.reward !== 0n) {
          failures.push({
            kind: "StakeKeyNonZeroAccountBalanceDELEG",
            credential: cert.credential,
            balance: account.reward,
            message: `stake key ${cert.credential} still holds ${account.reward} lovelace of rewards: withdraw them first (in the same transaction is fine)`,
          });
        } else if (cert.refund !== undefined && cert.refund !== account.deposit) {
          failures.push({
            kind: "IncorrectDepositDELEG",
            credential: cert.credential,
            stated: cert.refund,
            expected: account.deposit,
            message: `deregistration of ${cert.credential} states a refund of ${cert.refund}; the deposit held is ${account.deposit}`,
          });
        } else {
          journal.delete(state.accounts, cert.credential);
          refunds += account.deposit;
        }
        break;
      }
      case "StakeDelegation": {
        needed.add(cert.credential);
        const account = registeredAccount(
          cert.credential,
          `delegation from stake key ${cert.credential}, which is not registered`,
        );
        if (account && poolRegistered(cert.poolId)) {
          journal.set(state.accounts, cert.credential, { ...account, pool: cert.poolId });
        }
        break;
      }
      case "PoolRegistration": {
        const pool = cert.pool;
        needed.add(pool.operator);
        for (const owner of pool.owners) needed.add(owner);
        if (pool.cost < params.minPoolCost) {
          failures.push({
            kind: "StakePoolCostTooLowPOOL",
            poolId: pool.operator,
            cost: pool.cost,
            minimum: params.minPoolCost,
            message: `pool ${pool.operator} declares a cost of ${pool.cost}; the minimum is ${params.minPoolCost}`,
          });
          break;
        }
        const clash = [...state.pools.values()].find(
          (p) => p.vrfKeyHash === pool.vrfKeyHash && p.operator !== pool.operator,
        );
        if (clash) {
          failures.push({
            kind: "VRFKeyHashAlreadyRegistered",
            poolId: pool.operator,
            vrfKeyHash: pool.vrfKeyHash,
            message: `pool ${pool.operator} uses VRF key hash ${pool.vrfKeyHash}, already registered by pool ${clash.operator}`,
          });
          break;
        }
        if (state.pools.has(pool.operator)) {
          // A re-registration updates the parameters from the next epoch and cancels a retirement.
          journal.set(state.futurePools, pool.operator, pool);
          journal.delete(state.retiring, pool.operator);
        } else {
          journal.set(state.pools, pool.operator, pool);
          journal.set(state.poolDeposits, pool.operator, params.poolDeposit);
          deposits += params.poolDeposit;
        }
        break;
      }
      case "PoolRetirement": {
        needed.add(cert.poolId);
        const max = state.epoch + params.eMax;
        if (!state.pools.has(cert.poolId)) {
          failures.push({
            kind: "StakePoolNotRegisteredOnKeyPOOL",
            poolId: cert.poolId,
            message: `retirement of pool ${cert.poolId}, which is not registered`,
          });
        } else if (cert.epoch <= state.epoch || cert.epoch > max) {
          failures.push({
            kind: "StakePoolRetirementWrongEpochPOOL",
            poolId: cert.poolId,
            epoch: cert.epoch,
            current: state.epoch,
            max,
            message: `pool ${cert.poolId} may retire in epochs ${state.epoch + 1} to ${max}, not ${cert.epoch}`,
          });
        } else {
          journal.set(state.retiring, cert.poolId, cert.epoch);
        }
        break;
      }
      case "VoteDelegation":
      case "VoteRegistrationDelegation": {
        needed.add(cert.credential);
        const drepFailure = drepDelegateeFailure(state, cert.drep, gov!);
        if (drepFailure) failures.push(drepFailure);
        const poolOk = cert.poolId === undefined || poolRegistered(cert.poolId);
        if (cert.kind === "VoteRegistrationDelegation") {
          register(cert.credential, cert.deposit, cert.poolId ?? null, cert.drep, drepFailure !== null || !poolOk);
          break;
        }
        const account = registeredAccount(
          cert.credential,
          `delegation from stake key ${cert.credential}, which is not registered`,
        );
        if (account && !drepFailure && poolOk)
          journal.set(state.accounts, cert.credential, {
            ...account,
            pool: cert.poolId ?? account.pool,
            drep: cert.drep,
          });
        break;
      }
      case "Unsupported":
        break;
    }
  }
  return { deposits, refunds };
}
