// Praos header validation, in ouroboros-consensus's order: the envelope (protocol version), then the KES checks
// (window, opcert signature, KES signature, counter), then the VRF checks (pool known, VRF key registered, proof,
// leader value). Errors are values named after PraosValidationErr, each with the figures a person needs.
import { bytesToHex, equalBytes } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { kesVerify } from "../crypto/kes.ts";
import { type ActiveSlotCoeff, leaderCheck } from "../crypto/leader.ts";
import { formatRational, type Rational } from "../crypto/rational.ts";
import { vrfVerify } from "../crypto/vrf.ts";
import { opcertSignable } from "../formats/opcert.ts";
import type { Header } from "../chain/header.ts";
import { issuerPoolId } from "../chain/header.ts";
import { ed25519Verify } from "../crypto/ed25519.ts";
import { praosLeaderValue, praosVrfInput } from "./vrf-input.ts";

export interface PraosParams {
  readonly slotsPerKESPeriod: number;
  readonly maxKESEvolutions: number;
  readonly activeSlotCoeff: ActiveSlotCoeff;
  /** Highest protocol major version this node accepts (HeaderProtVerTooHigh above it). */
  readonly maxMajorProtocolVersion?: number;
}

export interface PoolView {
  /** Relative stake in the stake distribution used for this epoch (the "set" snapshot). */
  readonly stake: Rational;
  /** Blake2b-256 of the VRF verification key the pool registered. */
  readonly vrfKeyHash: Uint8Array;
}

/** What the ledger and the chain state know. Lookups may throw when the view is unavailable. */
export interface LedgerView {
  pool(poolIdHex: string): PoolView | undefined;
  /** The last opcert counter seen on chain for the pool, if any. */
  ocertCounter(poolIdHex: string): number | bigint | undefined;
}

export interface ValidationContext {
  readonly params: PraosParams;
  readonly epochNonce: Uint8Array | null;
  readonly ledger: LedgerView;
}

type E<K extends string, F> = { readonly kind: K; readonly message: string } & F;
export type PraosValidationError =
  | E<"HeaderProtVerTooHigh", { major: number; maxMajor: number }>
  | E<"KESBeforeStartOCERT", { opcertKesPeriod: bigint; currentKesPeriod: bigint }>
  | E<"KESAfterEndOCERT", { currentKesPeriod: bigint; opcertKesPeriod: bigint; maxKESEvolutions: number }>
  | E<"InvalidSignatureOCERT", { sequenceNumber: bigint; opcertKesPeriod: bigint }>
  | E<"InvalidKesSignatureOCERT", { currentKesPeriod: bigint; opcertKesPeriod: bigint; evolution: number }>
  | E<"NoCounterForKeyHashOCERT", { poolId: string }>
  | E<"CounterTooSmallOCERT", { lastSeen: bigint; received: bigint }>
  | E<"CounterOverIncrementedOCERT", { lastSeen: bigint; received: bigint }>
  | E<"VRFKeyUnknown", { poolId: string }>
  | E<"VRFKeyWrongVRFKey", { poolId: string; registered: string; inHeader: string }>
  | E<"VRFKeyBadProof", { slot: bigint; epochNonce: string | null }>
  | E<"VRFLeaderValueTooBig", { leaderValue: string; stake: string; activeSlotCoeff: string }>
  | E<"LedgerViewUnavailable", { reason: string }>;

export type PraosValidationErrorKind = PraosValidationError["kind"];

// An opcert signature is the same for every block a pool makes with one certificate: verify it once.
const OPCERT_CACHE_LIMIT = 4096;
const verifiedOpcerts = new Map<string, boolean>();

function opcertSignatureValid(header: Header): boolean {
  const { opcert, issuerVkey } = header.body;
  const signable = opcertSignable(opcert.hotVkey, opcert.sequenceNumber, opcert.kesPeriod);
  const key = bytesToHex(issuerVkey) + bytesToHex(signable) + bytesToHex(opcert.sigma);
  const cached = verifiedOpcerts.get(key);
  if (cached !== undefined) return cached;
  const valid = ed25519Verify(issuerVkey, signable, opcert.sigma);
  if (verifiedOpcerts.size >= OPCERT_CACHE_LIMIT) verifiedOpcerts.delete(verifiedOpcerts.keys().next().value!);
  verifiedOpcerts.set(key, valid);
  return valid;
}

const leaderChecks = new Map<string, (value: bigint) => boolean>();
function leaderPredicate(stake: Rational, f: ActiveSlotCoeff): (value: bigint) => boolean {
  const key = `${stake.num}/${stake.den}@${f.value.num}/${f.value.den}`;
  let check = leaderChecks.get(key);
  if (!check) {
    if (leaderChecks.size >= OPCERT_CACHE_LIMIT) leaderChecks.clear();
    check = leaderCheck(stake, f);
    leaderChecks.set(key, check);
  }
  return check;
}

/**
 * Validate a Praos header. Returns the errors found: the first is what ouroboros-consensus would report; with
 * `all`, checks continue past failures (for diagnostics and cross-implementation tests).
 */
export function validateHeader(
  header: Header,
  ctx: ValidationContext,
  options: { all?: boolean } = {},
): PraosValidationError[] {
  const errors: PraosValidationError[] = [];
  const fail = (e: PraosValidationError): boolean => {
    errors.push(e);
    return !options.all;
  };
  const { body } = header;
  const { params } = ctx;
  const poolId = bytesToHex(issuerPoolId(header));

  const maxMajor = params.maxMajorProtocolVersion;
  if (maxMajor !== undefined && body.protocolVersion[0] > maxMajor) {
    if (
      fail({
        kind: "HeaderProtVerTooHigh",
        major: body.protocolVersion[0],
        maxMajor,
        message: `header protocol version ${body.protocolVersion[0]} is above the highest this node accepts (${maxMajor})`,
      })
    )
      return errors;
  }

  // KES: the certificate's window must cover the slot's KES period. u64 arithmetic: bigint throughout.
  const oc = body.opcert;
  const kp = body.slot / BigInt(params.slotsPerKESPeriod);
  const c0 = oc.kesPeriod;
  const maxEvo = BigInt(params.maxKESEvolutions);
  let windowOk = true;
  if (c0 > kp) {
    windowOk = false;
    if (
      fail({
        kind: "KESBeforeStartOCERT",
        opcertKesPeriod: c0,
        currentKesPeriod: kp,
        message: `opcert starts at KES period ${c0}, after the block's KES period ${kp} (slot ${body.slot})`,
      })
    )
      return errors;
  } else if (kp >= c0 + maxEvo) {
    windowOk = false;
    if (
      fail({
        kind: "KESAfterEndOCERT",
        currentKesPeriod: kp,
        opcertKesPeriod: c0,
        maxKESEvolutions: params.maxKESEvolutions,
        message: `opcert from KES period ${c0} expired after ${params.maxKESEvolutions} periods; the block is in period ${kp}`,
      })
    )
      return errors;
  }
  if (!opcertSignatureValid(header)) {
    if (
      fail({
        kind: "InvalidSignatureOCERT",
        sequenceNumber: oc.sequenceNumber,
        opcertKesPeriod: c0,
        message: `opcert (issue number ${oc.sequenceNumber}, KES period ${c0}) is not signed by the issuer's cold key (pool ${poolId})`,
      })
    )
      return errors;
  }
  if (windowOk) {
    const t = Number(kp - c0);
    if (!kesVerify(oc.hotVkey, t, header.bodyBytes, header.kesSignature)) {
      if (
        fail({
          kind: "InvalidKesSignatureOCERT",
          currentKesPeriod: kp,
          opcertKesPeriod: c0,
          evolution: t,
          message: `KES signature does not verify at evolution ${t} (KES period ${kp}, opcert from ${c0}) under the certified hot key`,
        })
      )
        return errors;
    }
  }

  let pool: PoolView | undefined;
  let lastSeen: number | bigint | undefined;
  try {
    pool = ctx.ledger.pool(poolId);
    lastSeen = ctx.ledger.ocertCounter(poolId);
  } catch (error) {
    fail({
      kind: "LedgerViewUnavailable",
      reason: (error as Error).message,
      message: `ledger view unavailable: ${(error as Error).message}`,
    });
    return errors;
  }
  // A pool in the stake distribution with no counter yet counts from 0 (ouroboros-consensus currentIssueNo).
  const m = lastSeen !== undefined ? BigInt(lastSeen) : pool ? 0n : undefined;
  const n = oc.sequenceNumber;
  if (m === undefined) {
    if (fail({ kind: "NoCounterForKeyHashOCERT", poolId, message: `no opcert counter is known for pool ${poolId}` }))
      return errors;
  } else if (n < m) {
    if (
      fail({
        kind: "CounterTooSmallOCERT",
        lastSeen: m,
        received: n,
        message: `opcert issue number ${n} is below ${m}, the last seen on chain for pool ${poolId}: an old certificate`,
      })
    )
      return errors;
  } else if (n > m + 1n) {
    if (
      fail({
        kind: "CounterOverIncrementedOCERT",
        lastSeen: m,
        received: n,
        message: `opcert issue number ${n} skips ahead of ${m}, the last seen on chain for pool ${poolId} (at most ${m + 1n})`,
      })
    )
      return errors;
  }

  // VRF: the pool is registered with this VRF key, the proof holds, and the leader value is under the threshold.
  if (!pool) {
    fail({ kind: "VRFKeyUnknown", poolId, message: `pool ${poolId} is not in the stake distribution` });
    return errors;
  }
  const headerVrfHash = blake2b256(body.vrfVkey);
  if (!equalBytes(headerVrfHash, pool.vrfKeyHash)) {
    if (
      fail({
        kind: "VRFKeyWrongVRFKey",
        poolId,
        registered: bytesToHex(pool.vrfKeyHash),
        inHeader: bytesToHex(headerVrfHash),
        message: `pool ${poolId} registered VRF key hash ${bytesToHex(pool.vrfKeyHash)}, the header's VRF key hashes to ${bytesToHex(headerVrfHash)}`,
      })
    )
      return errors;
  }
  const vrf = body.leaderVrf;
  const certified = vrfVerify(body.vrfVkey, vrf.proof, praosVrfInput(body.slot, ctx.epochNonce));
  if (certified === null || !equalBytes(certified, vrf.output)) {
    fail({
      kind: "VRFKeyBadProof",
      slot: body.slot,
      epochNonce: ctx.epochNonce ? bytesToHex(ctx.epochNonce) : null,
      message: `VRF proof for slot ${body.slot} does not certify the header's VRF output under the epoch nonce`,
    });
    return errors;
  }
  const leaderValue = praosLeaderValue(vrf.output);
  if (!leaderPredicate(pool.stake, params.activeSlotCoeff)(leaderValue)) {
    fail({
      kind: "VRFLeaderValueTooBig",
      leaderValue: leaderValue.toString(16).padStart(64, "0"),
      stake: formatRational(pool.stake),
      activeSlotCoeff: formatRational(params.activeSlotCoeff.value),
      message: `VRF leader value is above the threshold for relative stake ${formatRational(pool.stake)} (f = ${formatRational(params.activeSlotCoeff.value)}): pool ${poolId} did not lead slot ${body.slot}`,
    });
  }
  return errors;
}
