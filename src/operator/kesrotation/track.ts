// Tracking: the certificate the pool's producer runs (node.cert of the StakePool's current key revision; only that
// public file is decoded), the network's clock and now give the schedule every other part works from. Anything
// missing is a Stop naming what, and the rotation waits for it.
import type { V1Secret } from "@kubernetes/client-node";
import type { KesRotationSpec } from "../../api/kesrotation.ts";
import { SIGNED_FILE } from "../../api/kesrotation-objects.ts";
import { stakePoolSpec, type StakePoolSpec } from "../../api/stakepool.ts";
import type { OperationalCertificate } from "../../formats/opcert.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import { type KesSchedule, kesSchedule, parseRenewBefore } from "../../keys/kes-schedule.ts";
import { lastCounter } from "../../keys/rotation-gate.ts";
import { keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { clockFor } from "../network-clock.ts";
import { certIn } from "./certs.ts";
import { type StakePoolObject, Stop } from "./tracked.ts";

export interface PoolTrack {
  pool: StakePoolObject;
  poolSpec: StakePoolSpec;
  clock: SlotClock;
  running: OperationalCertificate;
  runningHash: string;
  /** The last issue counter used: the chain's when the producer reports it, else the running certificate's. */
  lastCounter: number;
  schedule: KesSchedule;
}

export async function track(ctx: ReconcileContext, ns: string, spec: KesRotationSpec, now: Date): Promise<PoolTrack> {
  const poolName = spec.poolRef.name;
  const pool = ctx.get<StakePoolObject>(KIND.StakePool, { namespace: ns, name: poolName });
  if (!pool) throw new Stop("PoolNotFound", `StakePool ${poolName} does not exist`);
  const poolParsed = stakePoolSpec.safeParse(pool.spec);
  if (!poolParsed.success) throw new Stop("PoolSpecInvalid", `StakePool ${poolName} has an invalid spec`);
  const poolSpec = poolParsed.data;
  const clock = clockFor(ctx, ns, poolSpec);
  if (!clock) throw new Stop("GenesisUnavailable", `The genesis of StakePool ${poolName}'s network is not readable`);
  const runningHash = pool.status?.producer?.keysHash;
  if (!runningHash)
    throw new Stop("WaitingForKeys", `StakePool ${poolName} runs no key set yet (none has passed its gate)`);
  const revisionName = keyRevisionName(poolName, runningHash);
  const revision = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: revisionName });
  if (!revision) throw new Stop("RevisionNotFound", `Key revision Secret ${revisionName} does not exist`);
  const running = certIn(revision.data, `Secret ${revisionName}, key ${SIGNED_FILE}`);
  // A certificate never forged with does not raise the chain's counter, so the chain's wins when reported.
  const last = lastCounter({
    ...(pool.status?.kes?.counterOnChain !== undefined ? { onChain: pool.status.kes.counterOnChain } : {}),
    previousOpcert: running.sequenceNumber,
  })!;
  const schedule = kesSchedule({
    clock,
    opcert: running,
    now,
    renewBefore: parseRenewBefore(spec.renewBefore),
    reminderDays: spec.reminderDays,
  });
  return { pool, poolSpec, clock, running, runningHash, lastCounter: last.value, schedule };
}
