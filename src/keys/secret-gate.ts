// The consistency gate over a key Secret's files, run by the operator: before a producer pod may see a key set,
// the user's key Secret (kes.skey, vrf.skey, node.cert, optionally kes.vkey) and the pool's cold verification key
// (from a ConfigMap) go through the same consistency checks as `poolfleet-cli keys check` (consistency.ts). The
// answer names the failing check and what to do, and carries only public facts: the pool id, the certificate's
// counter and KES period, the KES window and keysHash, the sha256 of the public parts (what a revision Secret is
// named after).
//
// Secret bytes never reach a message: envelope errors are about the envelope's shape, and a secret file whose CBOR
// is broken gets a fixed sentence rather than the CBOR decoder's own words.
import { createHash } from "node:crypto";
import { bech32 } from "@scure/base";
import { bytesToHex } from "../crypto/bytes.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { parseEnvelope, type TextEnvelope } from "../formats/envelope.ts";
import { InputError } from "../formats/errors.ts";
import { envelopeCbor, KEY_KINDS, keyFromEnvelope, type KeyKind } from "../formats/keys.ts";
import { checkKeySet, type CheckResult, type KeySet } from "./consistency.ts";
import { type KesWindow, kesWindow } from "./kes-schedule.ts";
import {
  encodeOperationalCertificate,
  type OperationalCertificate,
  opcertFromEnvelope,
  poolIdOf,
} from "../formats/opcert.ts";
import type { SlotClock } from "../formats/slot-clock.ts";

/** The files a producer reads, as keys of the user's key Secret (and of the operator's revision copy of it). */
export const KEY_FILES = { kes: "kes.skey", vrf: "vrf.skey", opcert: "node.cert" } as const;
export const KES_VKEY_FILE = "kes.vkey";

export type GateCheck = "secret" | "key-file" | "pool-id" | CheckResult["check"];

export interface GateInput {
  /** The user's Secret (named in messages). */
  secretName: string;
  /** Its `data` as the API server returns it (base64 values); undefined when the Secret does not exist. */
  data: Record<string, string> | undefined;
  /** The cold verification key's text envelope and where it came from (e.g. "ConfigMap pool-a-cold, key cold.vkey"). */
  coldVerificationKey?: { text: string; name: string };
  /** spec.poolId, bech32 or hex: when given, the certificate must belong to this pool. */
  expectedPoolId?: string;
  /** With a clock, the KES window is checked at `at` and reported. */
  clock?: SlotClock;
  at: Date;
}

export interface GateFailure {
  readonly check: GateCheck;
  /** One CamelCase word for a condition's reason. */
  readonly reason: string;
  /** What is wrong and what to do. */
  readonly message: string;
}

export interface GateResult {
  readonly passed: boolean;
  readonly failure?: GateFailure;
  readonly checks: readonly CheckResult[];
  /** bech32 pool id (pool1...) of the certificate's cold key, when the certificate could be read. */
  readonly poolId?: string;
  readonly opcert?: { readonly counter: number; readonly kesPeriod: number };
  readonly kes?: KesWindow;
  /** sha256 (hex) of the key set's public parts; set when the files could be read, pass or fail. */
  readonly keysHash?: string;
}

const REASONS: Record<CheckResult["check"], string> = {
  "kes-key": "KesKeyMismatch",
  "opcert-signature": "OpcertSignatureInvalid",
  "vrf-key": "VrfKeyInvalid",
  counter: "CounterMismatch",
  "kes-window": "KesWindowInvalid",
};

export function poolIdBech32(coldVkey: Uint8Array): string {
  return bech32.encode("pool", bech32.toWords(poolIdOf(coldVkey)));
}

/** spec.poolId in either form -> 56 hex digits, or undefined when it is neither. */
export function poolIdHex(poolId: string): string | undefined {
  if (/^[0-9a-f]{56}$/.test(poolId)) return poolId;
  try {
    const { prefix, words } = bech32.decode(poolId as `${string}1${string}`);
    return prefix === "pool" ? bytesToHex(bech32.fromWords(words)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * sha256 over a version tag, the operational certificate (re-encoded, so whitespace in the file does not count)
 * and the VRF verification key (the public half of vrf.skey). The KES verification key is inside the certificate
 * and the gate makes sure the KES signing key matches it; the cold key is inside it too.
 */
export function keysHashOf(cert: OperationalCertificate, vrfVkey: Uint8Array): string {
  return createHash("sha256")
    .update("poolfleet.io/keys/v1\0")
    .update(encodeOperationalCertificate(cert))
    .update(encodeCbor(vrfVkey))
    .digest("hex");
}

function fail(check: GateCheck, reason: string, message: string, extra: Partial<GateResult> = {}): GateResult {
  return { passed: false, failure: { check, reason, message }, checks: [], ...extra };
}

class FileProblem extends Error {}

function envelopeIn(data: Record<string, string>, file: string, where: string): TextEnvelope {
  const b64 = data[file];
  if (b64 === undefined) throw new FileProblem(`${where} is missing`);
  try {
    return parseEnvelope(Buffer.from(b64, "base64").toString("utf8"), where);
  } catch (error) {
    throw new FileProblem(error instanceof InputError ? error.message : `${where} is not a text envelope`);
  }
}

function keyIn(data: Record<string, string>, file: string, where: string, kind: KeyKind): Uint8Array {
  const envelope = envelopeIn(data, file, where);
  try {
    envelopeCbor(envelope, where, kind.type, kind.label); // shape errors name the type: safe to repeat
  } catch (error) {
    throw new FileProblem((error as Error).message);
  }
  try {
    return keyFromEnvelope(envelope, where, kind);
  } catch (error) {
    // A public key's problem may be told as the decoder tells it; a secret key's gets a fixed sentence.
    if (!kind.secret) throw new FileProblem((error as Error).message);
    throw new FileProblem(
      `${where}: its cborHex does not hold ${kind.label} bytes (a CBOR byte string of ${kind.length})`,
    );
  }
}

/** Runs the gate. Never throws on bad input: every problem is a failed result saying what and where. */
export function gateKeys(input: GateInput): GateResult {
  const { secretName, data } = input;
  const fix = `Fix Secret ${secretName} (kubectl create secret generic ${secretName} --from-file=kes.skey --from-file=vrf.skey --from-file=node.cert)`;
  if (data === undefined) {
    return fail("secret", "KeySecretNotFound", `Secret ${secretName} does not exist. ${fix}`);
  }
  const where = (file: string) => `Secret ${secretName}, key ${file}`;
  let kes: Uint8Array | undefined;
  let vrf: Uint8Array | undefined;
  let cert: OperationalCertificate;
  let kesVkey: Uint8Array | undefined;
  let coldVkey: Uint8Array | undefined;
  try {
    const missing = Object.values(KEY_FILES).filter((f) => data[f] === undefined);
    if (missing.length) throw new FileProblem(`Secret ${secretName} has no ${missing.join(", ")}`);
    cert = (() => {
      const envelope = envelopeIn(data, KEY_FILES.opcert, where(KEY_FILES.opcert));
      try {
        return opcertFromEnvelope(envelope, where(KEY_FILES.opcert));
      } catch (error) {
        throw new FileProblem((error as Error).message);
      }
    })();
    kes = keyIn(data, KEY_FILES.kes, where(KEY_FILES.kes), KEY_KINDS.kesSigning);
    vrf = keyIn(data, KEY_FILES.vrf, where(KEY_FILES.vrf), KEY_KINDS.vrfSigning);
    if (data[KES_VKEY_FILE] !== undefined) {
      kesVkey = keyIn(data, KES_VKEY_FILE, where(KES_VKEY_FILE), KEY_KINDS.kesVerification);
    }
    if (input.coldVerificationKey) {
      const { text, name } = input.coldVerificationKey;
      let envelope: TextEnvelope;
      try {
        envelope = parseEnvelope(text, name);
      } catch (error) {
        throw new FileProblem((error as Error).message);
      }
      try {
        coldVkey = keyFromEnvelope(envelope, name, KEY_KINDS.coldVerification);
      } catch (error) {
        throw new FileProblem((error as Error).message);
      }
    }
  } catch (error) {
    kes?.fill(0);
    vrf?.fill(0);
    if (!(error instanceof FileProblem)) throw error;
    return fail("key-file", "KeyFileInvalid", `${error.message}. ${fix}`);
  }

  try {
    const poolId = poolIdBech32(cert.coldVkey);
    const vrfVkey = vrf.subarray(32, 64);
    const facts = {
      poolId,
      opcert: { counter: cert.sequenceNumber, kesPeriod: cert.kesPeriod },
      keysHash: keysHashOf(cert, vrfVkey),
      ...(input.clock ? { kes: kesWindow(cert, input.clock, input.at) } : {}),
    };
    const base: KeySet = {
      opcert: { cert, name: where(KEY_FILES.opcert) },
      ...(coldVkey && { coldVerificationKey: { bytes: coldVkey, name: input.coldVerificationKey!.name } }),
      ...(input.clock && { clock: input.clock }),
      at: input.at,
    };
    const checks = checkKeySet({
      ...base,
      kesSigningKey: { bytes: kes, name: where(KEY_FILES.kes) },
      vrfSigningKey: { bytes: vrf, name: where(KEY_FILES.vrf) },
    });
    if (kesVkey) {
      // kes.vkey, when shipped, must be the certified key too (a stale .vkey is how seeds/003 began).
      checks.push(
        ...checkKeySet({ ...base, kesVerificationKey: { bytes: kesVkey, name: where(KES_VKEY_FILE) } }).filter(
          (c) => c.check === "kes-key",
        ),
      );
    }
    const failed = checks.find((c) => c.status === "fail");
    if (failed)
      return {
        passed: false,
        failure: { check: failed.check, reason: REASONS[failed.check], message: failed.message },
        checks,
        ...facts,
      };
    const expected = input.expectedPoolId;
    if (expected !== undefined && poolIdHex(expected) !== bytesToHex(poolIdOf(cert.coldVkey))) {
      return {
        ...fail(
          "pool-id",
          "PoolIdMismatch",
          `${where(KEY_FILES.opcert)} belongs to pool ${poolId}, but spec.poolId is ${expected}: ` +
            `deploy this pool's certificate, or correct spec.poolId`,
        ),
        checks,
        ...facts,
      };
    }
    return { passed: true, checks, ...facts };
  } finally {
    kes.fill(0);
    vrf.fill(0);
  }
}
