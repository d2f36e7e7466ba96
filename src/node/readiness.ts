// Readiness that tells the truth: a node is ready only when it is caught up with the chain, and a relay only when it
// also has a peer (a relay nobody can reach serves nobody). Caught up means the tip is recent (its slot began at most
// `maxCaughtUpAgeMs` ago; before the first block, the network's start counts as the tip), or every upstream peer
// has told us (chain-sync MsgAwaitReply) that we are at its tip — a quiet network is not a stalled node — or no
// upstream peer is configured at all (a lone producer: nobody to catch up with). A producer that is not caught up
// does not forge: its block would be an orphan on a chain everyone else has left. Pure, with the clock injected.

/** cardano-node's notion of "nearly synced" for block forging is looser; 20 minutes is a few hundred mainnet slots. */
export const DEFAULT_MAX_CAUGHT_UP_AGE_S = 1200;

export interface ReadinessInput {
  /** Wall clock (unix ms). */
  readonly now: number;
  /** When the tip's slot began (unix ms), or undefined before the first block. */
  readonly tipTime: number | undefined;
  /** The network's systemStart (unix ms). */
  readonly systemStart: number;
  readonly maxCaughtUpAgeMs: number;
  readonly role: "relay" | "producer";
  /** Outbound (upstream) peers: configured in the topology, connected now, and connected saying we are at their tip. */
  readonly upstream: { readonly configured: number; readonly connected: number; readonly atTip: number };
  /** Node-to-node connections open, both directions. */
  readonly peers: number;
  readonly storageHealthy: boolean;
  /** Started and not stopping. */
  readonly running: boolean;
}

export interface Readiness {
  readonly ready: boolean;
  readonly caughtUp: boolean;
  /** Seconds since the tip's slot began (since systemStart before the first block; 0 before systemStart). */
  readonly tipAgeSeconds: number;
  /** Why not ready (absent when ready). */
  readonly reason?: string;
}

export function readiness(input: ReadinessInput): Readiness {
  const tipAgeMs = Math.max(0, input.now - (input.tipTime ?? input.systemStart));
  const tipAgeSeconds = Math.round(tipAgeMs / 1000);
  const { configured, connected, atTip } = input.upstream;
  const recent = tipAgeMs <= input.maxCaughtUpAgeMs;
  const atPeersTip = connected > 0 && atTip >= connected;
  const caughtUp = recent || atPeersTip || configured === 0;
  const notReady = (reason: string): Readiness => ({ ready: false, caughtUp, tipAgeSeconds, reason });
  if (!input.running) return notReady("starting or stopping");
  if (!input.storageHealthy) return notReady("storage failed");
  if (!caughtUp)
    return notReady(
      `not caught up: the tip is ${tipAgeSeconds} s old (more than ${Math.round(input.maxCaughtUpAgeMs / 1000)} s) and ${connected === 0 ? "no upstream peer is connected" : `${connected - atTip} of ${connected} upstream peers are ahead`}`,
    );
  if (input.role === "relay" && input.peers === 0) return notReady("a relay with no peer connected");
  return { ready: true, caughtUp, tipAgeSeconds };
}
