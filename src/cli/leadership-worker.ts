// Worker thread for `query leadership-schedule`: evaluates one slot range and reports progress.
import { parentPort, workerData } from "node:worker_threads";
import { leaderSlots } from "../consensus/leadership.ts";
import { activeSlotCoeff } from "../crypto/leader.ts";
import type { Rational } from "../crypto/rational.ts";
import { vrfSecretKeyFromSeed } from "../crypto/vrf.ts";

export interface LeadershipJob {
  readonly seed: Uint8Array;
  readonly epochNonce: Uint8Array | null;
  readonly from: number;
  readonly to: number;
  readonly sigma: Rational;
  readonly f: Rational;
}

export type LeadershipMessage = { type: "progress"; done: number } | { type: "done"; slots: number[] };

const job = workerData as LeadershipJob;
const key = vrfSecretKeyFromSeed(job.seed);
const slots = leaderSlots(key, job.epochNonce, job, job.sigma, activeSlotCoeff(job.f), (done) =>
  parentPort!.postMessage({ type: "progress", done } satisfies LeadershipMessage),
);
parentPort!.postMessage({ type: "done", slots } satisfies LeadershipMessage);
