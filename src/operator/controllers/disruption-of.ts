// The I/O half of a producer's PodDisruptionBudget policy (producer-disruption.ts is the pure half): a ready
// producer is asked for its coming leader slots on its API port, and the policy decides. Shared by the StakePool
// and MultikeyGroup controllers (a group's producer answers with the slots of every pool it holds).
import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { apiPortOf, type Fetch, type LeaderSlotView, leaderSlotView } from "../node-client/node-metrics.ts";
import { type DisruptionDecision, lookaheadMinutes, producerDisruption } from "./producer-disruption.ts";

/**
 * The producer's pod `<producer>-0`, read at most once per reconcile (its leader schedule and its /metrics both
 * need its IP): call the returned function wherever the pod is wanted.
 */
export function producerPodOnce(ctx: ReconcileContext, ns: string, producerName: string) {
  let read: Promise<V1Pod | undefined> | undefined;
  return () => (read ??= ctx.read<V1Pod>(KIND.Pod, { namespace: ns, name: `${producerName}-0` }));
}

/** The StatefulSet's one replica is ready and runs its current template. */
export const stsReady = (sts: V1StatefulSet | undefined) =>
  (sts?.status?.readyReplicas ?? 0) >= 1 && sts?.status?.observedGeneration === sts?.metadata?.generation;

/** Asks a ready producer for its next leader slot and decides whether its PodDisruptionBudget may open. */
export async function disruptionOf(
  sts: V1StatefulSet | undefined,
  producerPod: () => Promise<V1Pod | undefined>,
  marginMinutes: number,
  now: Date,
  opts: { scrape?: boolean; fetch?: Fetch },
): Promise<DisruptionDecision> {
  const ready = stsReady(sts);
  let view: LeaderSlotView | undefined;
  if (ready) {
    if (opts.scrape === false) view = { known: false, why: "the operator is configured not to read producers" };
    else {
      const pod = await producerPod();
      view = await leaderSlotView(
        pod?.status?.podIP,
        apiPortOf(pod),
        lookaheadMinutes(marginMinutes),
        opts.fetch ? { fetch: opts.fetch } : {},
      );
    }
  }
  return producerDisruption({ producerReady: ready, view, now, marginMinutes });
}
