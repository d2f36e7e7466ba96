// Tracking: the certificate the pool's producer runs (node.cert of the pool's current key revision; only that
// public file is decoded), the network's clock and now give the schedule every other part works from. Anything
// missing is a Stop naming what, and the rotation waits for it.
import type { V1Secret } from "@kubernetes/client-node";
import type { KesRotationSpec } from "../../api/kesrotation.ts";
import { SIGNED_FILE } from "../../api/kesrotation-objects.ts";
import type { OperationalCertificate } from "../../formats/opcert.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import { type KesSchedule, kesSchedule, parseRenewBefore } from "../../keys/kes-schedule.ts";
import { lastCounter } from "../../keys/rotation-gate.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { clockFor } from "../network-clock.ts";
import { certIn } from "./certs.ts";
import { targetOf } from "./target.ts";
import { type RotationTarget, Stop } from "./tracked.ts";

export interface PoolTrack {
  target: RotationTarget;
  clock: SlotClock;
  running: OperationalCertificate;
  runningHash: string;
  /** The last issue counter used: the chain's when the producer reports it, else the running certificate's. */
  lastCounter: number;
  schedule: KesSchedule;
}

export async function track(ctx: ReconcileContext, ns: string, spec: KesRotationSpec, now: Date): Promise<PoolTrack> {
  const target = targetOf(ctx, ns, spec);
  const clock = clockFor(ctx, ns, target.spec);
  if (!clock) throw new Stop("GenesisUnavailable", `The genesis of ${target.label}'s network is not readable`);
  const runningHash = target.runningHash;
  if (!runningHash) throw new Stop("WaitingForKeys", `${target.label} runs no key set yet (none has passed its gate)`);
  const revisionName = target.revisionName(runningHash);
  const revision = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: revisionName });
  if (!revision) throw new Stop("RevisionNotFound", `Key revision Secret ${revisionName} does not exist`);
  const running = certIn(revision.data, `Secret ${revisionName}, key ${SIGNED_FILE}`);
  // A certificate never forged with does not raise the chain's counter, so the chain's wins when reported.
  const last = lastCounter({
    ...(target.counterOnChain !== undefined ? { onChain: target.counterOnChain } : {}),
    previousOpcert: running.sequenceNumber,
  })!;
  const schedule = kesSchedule({
    clock,
    opcert: running,
    now,
    renewBefore: parseRenewBefore(spec.renewBefore),
    reminderDays: spec.reminderDays,
  });
  return { target, clock, running, runningHash, lastCounter: last.value, schedule };
}
