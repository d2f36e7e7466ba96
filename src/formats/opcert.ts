// Operational certificates and their issue counters, as cardano-cli writes them.
//   opcert file CBOR:  [[hot_vkey(32), sequence_number, kes_period, sigma(64)], cold_vkey(32)]
//   signable:          hot_vkey || u64be(sequence_number) || u64be(kes_period)   (raw 48 bytes, not CBOR)
//   counter file CBOR: [next_issue_number, cold_vkey(32)], description "Next certificate issue number: N"
import { concatBytes, u64be } from "../crypto/bytes.ts";
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from "../crypto/ed25519.ts";
import { blake2b224 } from "../crypto/hash.ts";
import { asArray, asBytes, asUint, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { readEnvelopeFile, type TextEnvelope } from "./envelope.ts";
import { InputError } from "./errors.ts";
import { COUNTER_TYPE, envelopeCbor, OPCERT_TYPE, readTypedEnvelope } from "./keys.ts";

export interface OperationalCertificate {
  readonly hotVkey: Uint8Array;
  readonly sequenceNumber: number;
  readonly kesPeriod: number;
  readonly sigma: Uint8Array;
  readonly coldVkey: Uint8Array;
}

export interface IssueCounter {
  readonly nextIssueNumber: number;
  readonly coldVkey: Uint8Array;
}

/** The largest issue number a counter may hold here: one more must still be an exact (safe) integer. */
export const MAX_ISSUE_NUMBER = Number.MAX_SAFE_INTEGER - 1;

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} ${value} is implausibly large`);
  return Number(value);
}

export function opcertSignable(
  hotVkey: Uint8Array,
  sequenceNumber: number | bigint,
  kesPeriod: number | bigint,
): Uint8Array {
  return concatBytes(hotVkey, u64be(sequenceNumber), u64be(kesPeriod));
}

export function issueOperationalCertificate(
  coldSeed: Uint8Array,
  hotVkey: Uint8Array,
  sequenceNumber: number,
  kesPeriod: number,
): OperationalCertificate {
  const cold = ed25519KeyPairFromSeed(coldSeed);
  try {
    const sigma = ed25519Sign(cold, opcertSignable(hotVkey, sequenceNumber, kesPeriod));
    return { hotVkey: Uint8Array.from(hotVkey), sequenceNumber, kesPeriod, sigma, coldVkey: cold.publicKey };
  } finally {
    cold.secretKey.fill(0);
    cold.seed.fill(0);
  }
}

/** The cold key's signature over the certificate body. */
export function verifyOperationalCertificate(cert: OperationalCertificate, coldVkey = cert.coldVkey): boolean {
  return ed25519Verify(coldVkey, opcertSignable(cert.hotVkey, cert.sequenceNumber, cert.kesPeriod), cert.sigma);
}

/** Pool id: Blake2b-224 of the cold verification key. */
export function poolIdOf(coldVkey: Uint8Array): Uint8Array {
  return blake2b224(coldVkey);
}

export function encodeOperationalCertificate(cert: OperationalCertificate): Uint8Array {
  return encodeCbor([[cert.hotVkey, cert.sequenceNumber, cert.kesPeriod, cert.sigma], cert.coldVkey]);
}

export function decodeOperationalCertificate(cbor: Uint8Array): OperationalCertificate {
  const outer = asArray(decodeCbor(cbor), "operational certificate", 2);
  const body = asArray(outer[0], "operational certificate body", 4);
  return {
    hotVkey: asBytes(body[0], "hot KES verification key", 32),
    sequenceNumber: safeNumber(asUint(body[1], "sequence number"), "sequence number"),
    kesPeriod: safeNumber(asUint(body[2], "KES period"), "KES period"),
    sigma: asBytes(body[3], "cold key signature", 64),
    coldVkey: asBytes(outer[1], "cold verification key", 32),
  };
}

export function encodeIssueCounter(counter: IssueCounter): Uint8Array {
  return encodeCbor([counter.nextIssueNumber, counter.coldVkey]);
}

export function decodeIssueCounter(cbor: Uint8Array): IssueCounter {
  const items = asArray(decodeCbor(cbor), "issue counter", 2);
  return {
    nextIssueNumber: safeNumber(asUint(items[0], "next issue number"), "next issue number"),
    coldVkey: asBytes(items[1], "cold verification key", 32),
  };
}

/** The certificate in a text envelope (type checked); `where` names it in errors. */
export function opcertFromEnvelope(envelope: TextEnvelope, where: string): OperationalCertificate {
  const cbor = envelopeCbor(envelope, where, OPCERT_TYPE, "operational certificate");
  try {
    return decodeOperationalCertificate(cbor);
  } catch (error) {
    throw new InputError(where, (error as Error).message);
  }
}

export function readOperationalCertificate(path: string): OperationalCertificate {
  return opcertFromEnvelope(readEnvelopeFile(path), path);
}

export function opcertEnvelope(cert: OperationalCertificate): TextEnvelope {
  return { type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) };
}

export function readIssueCounter(path: string): IssueCounter {
  const cbor = readTypedEnvelope(path, COUNTER_TYPE, "operational certificate issue counter");
  try {
    return decodeIssueCounter(cbor);
  } catch (error) {
    throw new InputError(path, (error as Error).message);
  }
}

export function counterEnvelope(counter: IssueCounter): TextEnvelope {
  return {
    type: COUNTER_TYPE,
    description: `Next certificate issue number: ${counter.nextIssueNumber}`,
    cbor: encodeIssueCounter(counter),
  };
}
