// The producer's keys, loaded and put through the consistency gate before the node forges anything. A node
// whose keys fail runs as a relay, says why in its log, /health and /metrics, and never forges silently
// (seeds/003). Only public facts (hashes, periods, counters) leave this module.
import { bytesToHex } from "../crypto/bytes.ts";
import { KesSigningKey } from "../crypto/kes.ts";
import { type VrfSecretKey, vrfSecretKeyFromBytes, wipeVrfSecretKey } from "../crypto/vrf.ts";
import { InputError } from "../formats/errors.ts";
import { KEY_KINDS, readKeyFile } from "../formats/keys.ts";
import { chainCounterProblem, checkKeySet, type CheckResult, registeredVrfProblem } from "../keys/consistency.ts";
import { type OperationalCertificate, poolIdOf, readOperationalCertificate } from "../formats/opcert.ts";
import type { SlotClock } from "../formats/slot-clock.ts";

export interface ProducerKeys {
  readonly poolId: string;
  readonly kes: KesSigningKey;
  readonly vrf: VrfSecretKey;
  readonly opcert: OperationalCertificate;
}

export type GateOutcome =
  | { readonly forging: true; readonly keys: ProducerKeys; readonly checks: CheckResult[] }
  | { readonly forging: false; readonly reason: string; readonly checks: CheckResult[]; readonly poolId?: string };

export function loadProducerKeys(
  paths: { kes: string; vrf: string; opcert: string },
  clock: SlotClock,
  /** The VRF key hash the pool registered on the ledger, if it is registered. */
  registeredVrfKeyHash: (poolId: string) => Uint8Array | undefined,
  lastCounterOnChain: (poolId: string) => bigint | undefined,
  now: Date,
): GateOutcome {
  let kesBytes: Uint8Array;
  let vrfBytes: Uint8Array;
  let opcert: OperationalCertificate;
  try {
    kesBytes = readKeyFile(paths.kes, KEY_KINDS.kesSigning);
    vrfBytes = readKeyFile(paths.vrf, KEY_KINDS.vrfSigning);
    opcert = readOperationalCertificate(paths.opcert);
  } catch (error) {
    return { forging: false, reason: error instanceof InputError ? error.message : "key files unreadable", checks: [] };
  }
  const checks = checkKeySet({
    kesSigningKey: { bytes: kesBytes, name: paths.kes },
    opcert: { cert: opcert, name: paths.opcert },
    vrfSigningKey: { bytes: vrfBytes, name: paths.vrf },
    clock,
    at: now,
  });
  const poolId = bytesToHex(poolIdOf(opcert.coldVkey));
  const failed = checks.find((c) => c.status === "fail");
  if (failed) {
    kesBytes.fill(0);
    vrfBytes.fill(0);
    return { forging: false, reason: failed.message, checks, poolId };
  }
  const vrf = vrfSecretKeyFromBytes(vrfBytes);
  vrfBytes.fill(0);
  const extra =
    registeredVrfProblem(poolId, vrf.publicKey, registeredVrfKeyHash(poolId), paths.vrf) ??
    chainCounterProblem(poolId, BigInt(opcert.sequenceNumber), lastCounterOnChain(poolId), paths.opcert);
  if (extra) {
    kesBytes.fill(0);
    wipeVrfSecretKey(vrf);
    return { forging: false, reason: extra, checks, poolId };
  }
  const kes = KesSigningKey.fromBytes(kesBytes);
  kesBytes.fill(0);
  return { forging: true, keys: { poolId, kes, vrf, opcert }, checks };
}
