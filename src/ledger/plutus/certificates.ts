// Certificates as Plutus scripts see them: cardano-ledger Alonzo TxInfo.hs `transTxCert` (PlutusV1/V2's DCert)
// and Conway TxInfo.hs `transTxCertV1V2` and `transTxCert` (PlutusV3's TxCert). V1/V2:
//   DCertDelegRegKey 0 [StakingCredential], DCertDelegDeRegKey 1 [..], DCertDelegDelegate 2 [.., pool],
//   DCertPoolRegister 3 [pool, vrf], DCertPoolRetire 4 [pool, epoch]
// with Conway's registration and deregistration with a deposit shown as the Shelley ones, and the
// registration-delegation certificate not shown at all (CertificateNotSupported, a collect error). V3:
//   TxCertRegStaking 0 [credential, Maybe deposit], TxCertUnRegStaking 1 [credential, Maybe refund],
//   TxCertDelegStaking 2 [credential, DelegStake 0 [pool]], TxCertRegDeleg 3 [credential, delegatee, deposit],
//   TxCertPoolRegister 7 [pool, vrf], TxCertPoolRetire 8 [pool, epoch], TxCertRegDRep 4 [credential, deposit],
//   TxCertUpdateDRep 5 [credential], TxCertUnRegDRep 6 [credential, refund], TxCertAuthHotCommittee 9 [cold, hot],
//   TxCertResignColdCommittee 10 [cold]
// with Delegatee = DelegStake 0 [pool] | DelegVote 1 [DRep] | DelegStakeVote 2 [pool, DRep] and DRep = DRep 0
// [credential] | DRepAlwaysAbstain 1 | DRepAlwaysNoConfidence 2. V1/V2 cannot see Conway's vote delegations nor
// its governance certificates (CertificateNotSupported).
import type { Certificate, DRep } from "../certs.ts";
import { bytes, constr, ContextError, type Data, int, just, NOTHING, stakeCredential } from "./data.ts";

/** StakingHash credential (V1/V2's StakingCredential). */
export const stakingHash = (c: string): Data => constr(0, [stakeCredential(c)]);

export function dcertV1V2(c: Certificate): Data {
  switch (c.kind) {
    case "StakeRegistration":
      return constr(0, [stakingHash(c.credential)]);
    case "StakeDeregistration":
      return constr(1, [stakingHash(c.credential)]);
    case "StakeDelegation":
      return constr(2, [stakingHash(c.credential), bytes(c.poolId)]);
    case "PoolRegistration":
      return constr(3, [bytes(c.pool.operator), bytes(c.pool.vrfKeyHash)]);
    case "PoolRetirement":
      return constr(4, [bytes(c.poolId), int(c.epoch)]);
    case "StakeRegistrationDelegation":
    case "VoteDelegation":
    case "VoteRegistrationDelegation":
    case "DRepRegistration":
    case "DRepDeregistration":
    case "DRepUpdate":
    case "CommitteeHotAuth":
    case "CommitteeResignation":
      throw new ContextError(`CertificateNotSupported: PlutusV1 and V2 cannot see a ${c.kind} certificate`);
    case "Unsupported":
      throw new ContextError(`${c.name} are not shown to scripts yet`, true);
  }
}

const drepData = (d: DRep): Data =>
  d === "abstain" ? constr(1) : d === "no-confidence" ? constr(2) : constr(0, [stakeCredential(d)]);
const delegatee = (poolId: string | undefined, drep: DRep): Data =>
  poolId === undefined ? constr(1, [drepData(drep)]) : constr(2, [bytes(poolId), drepData(drep)]);

export function txCertV3(c: Certificate): Data {
  switch (c.kind) {
    case "StakeRegistration":
      return constr(0, [stakeCredential(c.credential), c.deposit === undefined ? NOTHING : just(int(c.deposit))]);
    case "StakeDeregistration":
      return constr(1, [stakeCredential(c.credential), c.refund === undefined ? NOTHING : just(int(c.refund))]);
    case "StakeDelegation":
      return constr(2, [stakeCredential(c.credential), constr(0, [bytes(c.poolId)])]);
    case "StakeRegistrationDelegation":
      return constr(3, [stakeCredential(c.credential), constr(0, [bytes(c.poolId)]), int(c.deposit)]);
    case "PoolRegistration":
      return constr(7, [bytes(c.pool.operator), bytes(c.pool.vrfKeyHash)]);
    case "PoolRetirement":
      return constr(8, [bytes(c.poolId), int(c.epoch)]);
    case "VoteDelegation":
      return constr(2, [stakeCredential(c.credential), delegatee(c.poolId, c.drep)]);
    case "VoteRegistrationDelegation":
      return constr(3, [stakeCredential(c.credential), delegatee(c.poolId, c.drep), int(c.deposit)]);
    case "DRepRegistration":
      return constr(4, [stakeCredential(c.credential), int(c.deposit)]);
    case "DRepUpdate":
      return constr(5, [stakeCredential(c.credential)]);
    case "DRepDeregistration":
      return constr(6, [stakeCredential(c.credential), int(c.refund)]);
    case "CommitteeHotAuth":
      return constr(9, [stakeCredential(c.cold), stakeCredential(c.hot)]);
    case "CommitteeResignation":
      return constr(10, [stakeCredential(c.cold)]);
    case "Unsupported":
      throw new ContextError(`${c.name} are not shown to scripts yet`, true);
  }
}
