// The key-consistency gate: the checks that would have caught seeds/003 (a new opcert deployed beside the
// old KES key). Pure: takes loaded key material and returns one result per check, each naming the keys by
// hash and saying what to do. The one home of "is this key set consistent": `poolfleet-cli keys check`, the
// node before it forges (with the two chain checks below), the operator before it mounts a key Secret
// (secret-gate.ts) and every KES rotation (rotation-gate.ts) run these checks. Secret bytes never enter a
// message; only public keys' hashes do.
import { bytesToHex, equalBytes } from "../crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../crypto/hash.ts";
import { KesSigningKey } from "../crypto/kes.ts";
import { vrfSecretKeyFromSeed } from "../crypto/vrf.ts";
import type { IssueCounter, OperationalCertificate } from "../formats/opcert.ts";
import { verifyOperationalCertificate } from "../formats/opcert.ts";
import type { SlotClock } from "../formats/slot-clock.ts";
import { formatDuration, kesWindow } from "./kes-schedule.ts";

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  readonly check: "kes-key" | "opcert-signature" | "vrf-key" | "counter" | "kes-window";
  readonly status: CheckStatus;
  readonly message: string;
}

export interface KeySet {
  /** Raw 608-byte KES signing key, and what to call it in messages (usually its path). */
  readonly kesSigningKey?: { readonly bytes: Uint8Array; readonly name: string };
  /** Alternatively the KES verification key alone (the operator sees only public material). */
  readonly kesVerificationKey?: { readonly bytes: Uint8Array; readonly name: string };
  readonly opcert: { readonly cert: OperationalCertificate; readonly name: string };
  readonly vrfSigningKey?: { readonly bytes: Uint8Array; readonly name: string };
  readonly vrfVerificationKey?: { readonly bytes: Uint8Array; readonly name: string };
  readonly coldVerificationKey?: { readonly bytes: Uint8Array; readonly name: string };
  readonly counter?: { readonly counter: IssueCounter; readonly name: string };
  /** With a clock, the KES window is checked at `at`. */
  readonly clock?: SlotClock;
  readonly at?: Date;
}

/** How a verification key is named in messages: Blake2b-224 of it, as Cardano names keys. */
export function keyHash(vkey: Uint8Array): string {
  return bytesToHex(blake2b224(vkey));
}

export function checkKeySet(keys: KeySet): CheckResult[] {
  const results: CheckResult[] = [checkKesKey(keys), checkOpcertSignature(keys)];
  results.push(checkVrfKey(keys));
  results.push(checkCounter(keys));
  results.push(checkKesWindow(keys));
  return results;
}

export function keySetPasses(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== "fail");
}

function checkKesKey(keys: KeySet): CheckResult {
  const { cert, name: certName } = keys.opcert;
  let vkey: Uint8Array;
  let name: string;
  if (keys.kesSigningKey) {
    let key: KesSigningKey;
    try {
      key = KesSigningKey.fromBytes(keys.kesSigningKey.bytes);
    } catch (error) {
      return { check: "kes-key", status: "fail", message: `${keys.kesSigningKey.name}: ${(error as Error).message}` };
    }
    vkey = key.verificationKey;
    key.wipe();
    name = keys.kesSigningKey.name;
  } else if (keys.kesVerificationKey) {
    vkey = keys.kesVerificationKey.bytes;
    name = keys.kesVerificationKey.name;
  } else {
    return { check: "kes-key", status: "skip", message: "KES key not given" };
  }
  if (equalBytes(vkey, cert.hotVkey)) {
    return {
      check: "kes-key",
      status: "pass",
      message: `KES key ${name} (${keyHash(vkey)}) is the hot key certified by ${certName}`,
    };
  }
  return {
    check: "kes-key",
    status: "fail",
    message:
      `KES key ${name} (${keyHash(vkey)}) is NOT the hot key certified by ${certName} (${keyHash(cert.hotVkey)}): ` +
      `the certificate was issued for a different KES key, and a producer with this pair forges no valid blocks. ` +
      `Deploy the KES key the certificate was issued for, or issue a new certificate for this KES key ` +
      `(node issue-op-cert --kes-verification-key-file <this key's .vkey>) and deploy both together`,
  };
}

function checkOpcertSignature(keys: KeySet): CheckResult {
  const { cert, name } = keys.opcert;
  const certPool = keyHash(cert.coldVkey);
  if (keys.coldVerificationKey && !equalBytes(keys.coldVerificationKey.bytes, cert.coldVkey)) {
    return {
      check: "opcert-signature",
      status: "fail",
      message:
        `${name} was issued by cold key ${certPool}, not by ${keys.coldVerificationKey.name} ` +
        `(${keyHash(keys.coldVerificationKey.bytes)}): this certificate belongs to another pool`,
    };
  }
  if (!verifyOperationalCertificate(cert)) {
    return {
      check: "opcert-signature",
      status: "fail",
      message:
        `${name}: the cold key signature does not verify (pool ${certPool}); the file is corrupt or was edited. ` +
        `Issue it again with node issue-op-cert`,
    };
  }
  const source = keys.coldVerificationKey ? keys.coldVerificationKey.name : "the key inside the certificate";
  return {
    check: "opcert-signature",
    status: "pass",
    message: `${name} is signed by the cold key of pool ${certPool} (checked against ${source})`,
  };
}

function checkVrfKey(keys: KeySet): CheckResult {
  if (!keys.vrfSigningKey) return { check: "vrf-key", status: "skip", message: "VRF signing key not given" };
  const { bytes, name } = keys.vrfSigningKey;
  const derived = vrfSecretKeyFromSeed(bytes.subarray(0, 32)).publicKey;
  if (!equalBytes(derived, bytes.subarray(32, 64))) {
    return {
      check: "vrf-key",
      status: "fail",
      message: `${name}: its public half is not derived from its secret half; the file is corrupt. Restore it from backup`,
    };
  }
  if (keys.vrfVerificationKey && !equalBytes(keys.vrfVerificationKey.bytes, derived)) {
    return {
      check: "vrf-key",
      status: "fail",
      message:
        `${name} (VRF key hash ${bytesToHex(blake2b256(derived))}) does not match ${keys.vrfVerificationKey.name} ` +
        `(${bytesToHex(blake2b256(keys.vrfVerificationKey.bytes))}); the pool is registered with one VRF key`,
    };
  }
  return {
    check: "vrf-key",
    status: "pass",
    message: `${name} is a consistent VRF key pair (VRF key hash ${bytesToHex(blake2b256(derived))})`,
  };
}

function checkCounter(keys: KeySet): CheckResult {
  if (!keys.counter) return { check: "counter", status: "skip", message: "issue counter not given" };
  const { counter, name } = keys.counter;
  const cert = keys.opcert.cert;
  if (!equalBytes(counter.coldVkey, cert.coldVkey)) {
    return {
      check: "counter",
      status: "fail",
      message: `${name} counts certificates of cold key ${keyHash(counter.coldVkey)}, not of ${keyHash(cert.coldVkey)} that signed ${keys.opcert.name}`,
    };
  }
  const expected = counter.nextIssueNumber - 1;
  if (cert.sequenceNumber === expected) {
    return {
      check: "counter",
      status: "pass",
      message: `${keys.opcert.name} carries issue number ${cert.sequenceNumber}, the latest ${name} has issued`,
    };
  }
  if (cert.sequenceNumber < expected) {
    return {
      check: "counter",
      status: "fail",
      message:
        `${keys.opcert.name} carries issue number ${cert.sequenceNumber} but ${name} has issued up to ${expected}: ` +
        `this is an old certificate. Deploy the newest one (issue number ${expected}), or the chain may reject ` +
        `blocks signed with this one once a newer number has been seen`,
    };
  }
  return {
    check: "counter",
    status: "fail",
    message:
      `${keys.opcert.name} carries issue number ${cert.sequenceNumber} but ${name} expects the next to be ` +
      `${counter.nextIssueNumber}: the counter file is behind the certificates issued (restored from an old backup?). ` +
      `Set it with node new-counter --counter-value ${cert.sequenceNumber + 1}`,
  };
}

function checkKesWindow(keys: KeySet): CheckResult {
  if (!keys.clock) {
    return { check: "kes-window", status: "skip", message: "KES window not checked (give the Shelley genesis)" };
  }
  const w = kesWindow(keys.opcert.cert, keys.clock, keys.at ?? new Date());
  const name = keys.opcert.name;
  if (w.current < w.start) {
    return {
      check: "kes-window",
      status: "fail",
      message:
        `${name} starts at KES period ${w.start} but the current period is ${w.current}: the certificate is ` +
        `not valid yet (was --kes-period taken from a machine with a wrong clock?). Issue it with --kes-period ${w.current}`,
    };
  }
  if (w.current >= w.end) {
    return {
      check: "kes-window",
      status: "fail",
      message:
        `${name} expired at the end of KES period ${w.end - 1} (${w.expiresAt.toISOString()}); the current period is ` +
        `${w.current}. Generate a new KES key and issue a new certificate with --kes-period ${w.current}`,
    };
  }
  return {
    check: "kes-window",
    status: "pass",
    message:
      `${name} covers KES periods ${w.start}..${w.end - 1}; now ${w.current}, ${w.periodsLeft} period(s) left, ` +
      `expires ${w.expiresAt.toISOString()} (${formatDuration(w.msLeft)} from now)`,
  };
}

/**
 * The ledger's rule for the certificate's issue number against the last one seen on chain for the pool (none
 * seen counts as 0): the same number or one above. Undefined when it holds, else what is wrong.
 */
export function chainCounterProblem(
  poolId: string,
  n: bigint,
  lastSeen: bigint | undefined,
  name: string,
): string | undefined {
  const m = lastSeen ?? 0n;
  if (n < m)
    return `${name} carries issue number ${n}, below ${m} already seen on chain for pool ${poolId}: deploy the newest certificate`;
  if (n > m + 1n)
    return `${name} carries issue number ${n}, more than one above ${m} seen on chain for pool ${poolId}: its blocks would be rejected`;
  return undefined;
}

/**
 * The pool must be registered on the ledger, with the VRF key the node holds (hash of its public half).
 * Undefined when it is, else what is wrong.
 */
export function registeredVrfProblem(
  poolId: string,
  vrfVkey: Uint8Array,
  registered: Uint8Array | undefined,
  name: string,
): string | undefined {
  if (!registered) return `pool ${poolId} (the certificate's cold key) is not registered on the ledger: it cannot lead`;
  const held = blake2b256(vrfVkey);
  if (equalBytes(registered, held)) return undefined;
  return `VRF key ${name} (hash ${bytesToHex(held)}) is not the one pool ${poolId} registered (${bytesToHex(registered)}): its blocks would be rejected`;
}
