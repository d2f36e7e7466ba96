// Certificates as Plutus scripts see them: cardano-ledger Alonzo TxInfo.hs `transTxCert` (PlutusV1/V2's DCert)
// and Conway TxInfo.hs `transTxCertV1V2` and `transTxCert` (PlutusV3's TxCert). V1/V2:
//   DCertDelegRegKey 0 [StakingCredential], DCertDelegDeRegKey 1 [..], DCertDelegDelegate 2 [.., pool],
//   DCertPoolRegister 3 [pool, vrf], DCertPoolRetire 4 [pool, epoch]
// with Conway's registration and deregistration with a deposit shown as the Shelley ones, and the
// registration-delegation certificate not shown at all (CertificateNotSupported, a collect error). V3:
//   TxCertRegStaking 0 [credential, Maybe deposit], TxCertUnRegStaking 1 [credential, Maybe refund],
//   TxCertDelegStaking 2 [credential, DelegStake 0 [pool]], TxCertRegDeleg 3 [credential, delegatee, deposit],
//   TxCertPoolRegister 7 [pool, vrf], TxCertPoolRetire 8 [pool, epoch]
import type { Certificate } from "../certs.ts";
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
      throw new ContextError(
        "CertificateNotSupported: PlutusV1 and V2 cannot see a registration-delegation certificate",
      );
    case "Unsupported":
      throw new ContextError(`${c.name} are not shown to scripts yet`, true);
  }
}

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
    case "Unsupported":
      throw new ContextError(`${c.name} are not shown to scripts yet`, true);
  }
}
