// The key files of a stake pool, in cardano-cli's text-envelope types. Each kind knows its envelope type,
// description and raw length; loading checks all three and says which file is wrong and how.
import { asBytes, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { readEnvelopeFile, type TextEnvelope } from "./envelope.ts";
import { InputError } from "./errors.ts";

export interface KeyKind {
  readonly type: string;
  readonly description: string;
  readonly length: number;
  readonly secret: boolean;
  /** What a person calls it, for messages. */
  readonly label: string;
}

export const KEY_KINDS = {
  coldSigning: {
    type: "StakePoolSigningKey_ed25519",
    description: "Stake Pool Operator Signing Key",
    length: 32,
    secret: true,
    label: "cold signing key",
  },
  coldVerification: {
    type: "StakePoolVerificationKey_ed25519",
    description: "Stake Pool Operator Verification Key",
    length: 32,
    secret: false,
    label: "cold verification key",
  },
  kesSigning: {
    type: "KesSigningKey_ed25519_kes_2^6",
    description: "KES Signing Key",
    length: 608,
    secret: true,
    label: "KES signing key",
  },
  kesVerification: {
    type: "KesVerificationKey_ed25519_kes_2^6",
    description: "KES Verification Key",
    length: 32,
    secret: false,
    label: "KES verification key",
  },
  vrfSigning: {
    type: "VrfSigningKey_PraosVRF",
    description: "VRF Signing Key",
    length: 64,
    secret: true,
    label: "VRF signing key",
  },
  vrfVerification: {
    type: "VrfVerificationKey_PraosVRF",
    description: "VRF Verification Key",
    length: 32,
    secret: false,
    label: "VRF verification key",
  },
  paymentSigning: {
    type: "PaymentSigningKeyShelley_ed25519",
    description: "Payment Signing Key",
    length: 32,
    secret: true,
    label: "payment signing key",
  },
  paymentVerification: {
    type: "PaymentVerificationKeyShelley_ed25519",
    description: "Payment Verification Key",
    length: 32,
    secret: false,
    label: "payment verification key",
  },
  stakeSigning: {
    type: "StakeSigningKeyShelley_ed25519",
    description: "Stake Signing Key",
    length: 32,
    secret: true,
    label: "stake signing key",
  },
  stakeVerification: {
    type: "StakeVerificationKeyShelley_ed25519",
    description: "Stake Verification Key",
    length: 32,
    secret: false,
    label: "stake verification key",
  },
} as const satisfies Record<string, KeyKind>;

export const OPCERT_TYPE = "NodeOperationalCertificate";
export const COUNTER_TYPE = "NodeOperationalCertificateIssueCounter";

const LABEL_BY_TYPE = new Map<string, string>([
  ...Object.values(KEY_KINDS).map((k): [string, string] => [k.type, k.label]),
  [OPCERT_TYPE, "operational certificate"],
  [COUNTER_TYPE, "operational certificate issue counter"],
]);

const article = (noun: string): string => (/^[aeiouAEIOU]/.test(noun) ? "an" : "a");

/** A type name worth repeating in a message; anything else (a file's content pasted into "type") is not shown. */
const PRINTABLE_TYPE = /^[A-Za-z0-9_^.-]{1,80}$/;

/** What an envelope of `type` is, for "is ...": "a cold signing key (StakePoolSigningKey_ed25519)". */
export function describeEnvelopeType(type: string): string {
  const actual = LABEL_BY_TYPE.get(type);
  if (actual) return `${article(actual)} ${actual} (${type})`;
  return PRINTABLE_TYPE.test(type) ? `of type "${type}"` : "of an unknown type";
}

/** A signing key of any kind, by cardano-cli's naming (…SigningKey…): never replaced by any output. */
export function isSigningKeyType(type: string): boolean {
  return /SigningKey/i.test(type);
}

/** The CBOR of an envelope of the expected type, naming what it actually is when it is something else. */
export function envelopeCbor(envelope: TextEnvelope, where: string, type: string, label: string): Uint8Array {
  if (envelope.type !== type) {
    throw new InputError(
      where,
      `is ${describeEnvelopeType(envelope.type)}, expected ${article(label)} ${label} (${type})`,
    );
  }
  return envelope.cbor;
}

/** Read an envelope and insist on its type, naming what the file actually is when it is something else. */
export function readTypedEnvelope(path: string, type: string, label: string): Uint8Array {
  return envelopeCbor(readEnvelopeFile(path), path, type, label);
}

/** The raw key in an envelope of `kind`, its type and length checked; `where` names it in errors. */
export function keyFromEnvelope(envelope: TextEnvelope, where: string, kind: KeyKind): Uint8Array {
  const cbor = envelopeCbor(envelope, where, kind.type, kind.label);
  try {
    return asBytes(decodeCbor(cbor), `${kind.label}`, kind.length);
  } catch (error) {
    throw new InputError(where, (error as Error).message);
  }
}

export function readKeyFile(path: string, kind: KeyKind): Uint8Array {
  return keyFromEnvelope(readEnvelopeFile(path), path, kind);
}

/** The envelope cardano-cli writes for a key of `kind`. */
export function keyEnvelope(kind: KeyKind, bytes: Uint8Array): TextEnvelope {
  if (bytes.length !== kind.length) throw new Error(`${kind.label} must be ${kind.length} bytes`);
  return { type: kind.type, description: kind.description, cbor: encodeCbor(bytes) };
}
