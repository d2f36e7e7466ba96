// The rotation gate: a new KES key and its operational certificate (returned by a person in Assisted mode,
// signed by a Job in Auto mode, or made by `devnet rotate-kes`) must pass every check before any producer sees
// them. The pairing, signature and window checks are the key-consistency gate's own (consistency.ts);
// this adds the rotation's counter rule, which is stricter than the ledger's (consistency.ts
// chainCounterProblem, what the node checks before it forges): exactly one above the last counter
// used, never the same (a reused number keeps the old KES key able to sign) and never two above (the chain rejects
// every block, which is how seeds/003's pool lost its blocks without a word).
// Pure; only public keys' hashes and numbers reach messages, never key bytes.
import { checkKeySet, type CheckResult, type KeySet } from "./consistency.ts";
import type { OperationalCertificate } from "../formats/opcert.ts";
import type { SlotClock } from "../formats/slot-clock.ts";

export type RotationCheck = "kes-key" | "opcert-signature" | "counter" | "kes-window";

/** The order the checks run and are reported in. */
export const ROTATION_CHECKS: readonly RotationCheck[] = ["kes-key", "opcert-signature", "counter", "kes-window"];

/** The last issue number used for the pool, and where it was seen (for messages). */
export interface LastCounter {
  readonly value: number;
  readonly source: "on chain" | "in the previous certificate";
}

/**
 * The counter a new certificate must carry is one above the last used. The chain's figure wins when known: a
 * certificate issued but never forged with does not raise it, and the ledger refuses more than one above it.
 */
export function lastCounter(known: { onChain?: number; previousOpcert?: number }): LastCounter | undefined {
  if (known.onChain !== undefined) return { value: known.onChain, source: "on chain" };
  if (known.previousOpcert !== undefined) return { value: known.previousOpcert, source: "in the previous certificate" };
  return undefined;
}

export interface RotationCandidate {
  readonly opcert: { readonly cert: OperationalCertificate; readonly name: string };
  /**
   * The staged KES key the certificate must certify: the signing key itself where it is at hand (the CLI; its
   * verification key is derived), else its verification key (the operator sees only public material).
   */
  readonly stagedKes:
    | { readonly signingKey: Uint8Array; readonly name: string }
    | { readonly verificationKey: Uint8Array; readonly name: string };
  /** The pool's cold verification key: the certificate must be signed by it. */
  readonly coldVerificationKey: { readonly bytes: Uint8Array; readonly name: string };
  readonly last: LastCounter;
  readonly clock: SlotClock;
  readonly now: Date;
}

export interface RotationVerdict {
  readonly accepted: boolean;
  /** One result per check in ROTATION_CHECKS order; each says what is wrong and what to do. */
  readonly checks: readonly (CheckResult & { readonly check: RotationCheck })[];
  /** For an Event, a condition or a CLI error: the failed checks, or undefined when accepted. */
  readonly refusal?: string;
}

export function checkRotation(c: RotationCandidate): RotationVerdict {
  const keys: KeySet = {
    ...("signingKey" in c.stagedKes
      ? { kesSigningKey: { bytes: c.stagedKes.signingKey, name: c.stagedKes.name } }
      : { kesVerificationKey: { bytes: c.stagedKes.verificationKey, name: c.stagedKes.name } }),
    opcert: c.opcert,
    coldVerificationKey: c.coldVerificationKey,
    clock: c.clock,
    at: c.now,
  };
  const shared = checkKeySet(keys);
  const byName = (check: RotationCheck): CheckResult & { check: RotationCheck } => {
    if (check === "counter") return checkNextCounter(c.opcert, c.last);
    const r = shared.find((x) => x.check === check);
    // checkKeySet runs every check it is given material for; the candidate always gives it all three.
    if (!r || r.status === "skip") throw new Error(`the key gate did not run its ${check} check`);
    return { ...r, check };
  };
  const checks = ROTATION_CHECKS.map(byName);
  const failed = checks.filter((r) => r.status === "fail");
  if (failed.length === 0) return { accepted: true, checks };
  return {
    accepted: false,
    checks,
    refusal:
      `${c.opcert.name} refused, nothing was changed: ` + failed.map((r) => `[${r.check}] ${r.message}`).join("; "),
  };
}

function checkNextCounter(opcert: RotationCandidate["opcert"], last: LastCounter): CheckResult & { check: "counter" } {
  const n = opcert.cert.sequenceNumber;
  const next = last.value + 1;
  const name = opcert.name;
  const reissue =
    `Issue it again with issue number ${next}: on the machine with the cold key, ` +
    `node new-counter --counter-value ${next} (the counter file then says "Next certificate issue number: ${next}"), ` +
    `then node issue-op-cert`;
  if (n === next)
    return {
      check: "counter",
      status: "pass",
      message: `${name} carries issue number ${n}, the next after ${last.value} (last used, ${last.source})`,
    };
  if (n <= last.value)
    return {
      check: "counter",
      status: "fail",
      message:
        `${name} carries issue number ${n}, but ${last.value} was already used (${last.source}); the new ` +
        `certificate must carry ${next}. ${n === last.value ? "Reusing a number" : "An older number"} ` +
        `${n === last.value ? "leaves the previous KES key able to sign blocks the chain accepts" : "is refused by the chain once it has seen a higher one"}` +
        `; is this the previous certificate, or was the counter file restored from a backup? ${reissue}`,
    };
  return {
    check: "counter",
    status: "fail",
    message:
      `${name} carries issue number ${n}, but the last used is ${last.value} (${last.source}), so the next must be ` +
      `${next}: the chain rejects every block whose number is more than one above the last it saw, and the pool ` +
      `would miss its blocks silently (seeds/003). The counter file is ahead (a certificate issued and never ` +
      `deployed?). ${reissue}`,
  };
}
