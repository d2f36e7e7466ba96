// cardano-cli's `node` key commands: same names, flags and output files.
import { randomBytes } from "node:crypto";
import { bytesToHex, equalBytes, wipe } from "../../crypto/bytes.ts";
import { ed25519PublicKey } from "../../crypto/ed25519.ts";
import { blake2b256 } from "../../crypto/hash.ts";
import { KesSigningKey } from "../../crypto/kes.ts";
import { vrfSecretKeyBytes, vrfSecretKeyFromSeed, wipeVrfSecretKey } from "../../crypto/vrf.ts";
import { InputError } from "../../formats/errors.ts";
import { KEY_KINDS, readKeyFile } from "../../formats/keys.ts";
import { issueOperationalCertificate, MAX_ISSUE_NUMBER, poolIdOf, readIssueCounter } from "../../formats/opcert.ts";
import { counterOutput, keyOutput, opcertOutput, writeEnvelopes } from "../../formats/outputs.ts";
import { keyHash } from "../../keys/consistency.ts";
import type { Command } from "../command.ts";

const file = (description: string) => ({ type: "string", required: true, value: "FILE", description }) as const;

export const nodeKeyGen: Command = {
  path: ["node", "key-gen"],
  summary: "create a stake pool cold key pair and its operational certificate issue counter (at 0)",
  flags: {
    "cold-verification-key-file": file("where to write the cold verification key"),
    "cold-signing-key-file": file("where to write the cold signing key (mode 0600; keep it offline)"),
    "operational-certificate-issue-counter-file": file("where to write the issue counter"),
  },
  example:
    "poolfleet-cli node key-gen --cold-verification-key-file cold.vkey --cold-signing-key-file cold.skey --operational-certificate-issue-counter-file cold.counter",
  run(flags, io) {
    const vkeyPath = flags.string("cold-verification-key-file");
    const skeyPath = flags.string("cold-signing-key-file");
    const counterPath = flags.string("operational-certificate-issue-counter-file");
    const seed = randomBytes(32);
    const vkey = ed25519PublicKey(seed);
    try {
      // All three or none, and none of them may exist: key generation never destroys a file.
      writeEnvelopes([
        keyOutput(skeyPath, KEY_KINDS.coldSigning, seed),
        keyOutput(vkeyPath, KEY_KINDS.coldVerification, vkey),
        counterOutput(counterPath, { nextIssueNumber: 0, coldVkey: vkey }, false),
      ]);
    } finally {
      wipe(seed);
    }
    io.out(`pool id ${bytesToHex(poolIdOf(vkey))}`);
    return 0;
  },
};

export const nodeKeyGenKes: Command = {
  path: ["node", "key-gen-KES"],
  summary: "create a KES key pair (Sum6, 64 periods)",
  flags: {
    "verification-key-file": file("where to write the KES verification key"),
    "signing-key-file": file("where to write the KES signing key (mode 0600)"),
  },
  example: "poolfleet-cli node key-gen-KES --verification-key-file kes.vkey --signing-key-file kes.skey",
  run(flags, io) {
    const vkeyPath = flags.string("verification-key-file");
    const skeyPath = flags.string("signing-key-file");
    const seed = randomBytes(32);
    const key = KesSigningKey.generate(seed);
    wipe(seed);
    const vkey = Uint8Array.from(key.verificationKey);
    const bytes = key.toBytes();
    try {
      writeEnvelopes([
        keyOutput(skeyPath, KEY_KINDS.kesSigning, bytes),
        keyOutput(vkeyPath, KEY_KINDS.kesVerification, vkey),
      ]);
    } finally {
      wipe(bytes);
      key.wipe();
    }
    io.out(`KES verification key hash ${keyHash(vkey)}`);
    return 0;
  },
};

export const nodeKeyGenVrf: Command = {
  path: ["node", "key-gen-VRF"],
  summary: "create a VRF key pair (PraosVRF)",
  flags: {
    "verification-key-file": file("where to write the VRF verification key"),
    "signing-key-file": file("where to write the VRF signing key (mode 0600)"),
  },
  example: "poolfleet-cli node key-gen-VRF --verification-key-file vrf.vkey --signing-key-file vrf.skey",
  run(flags, io) {
    const vkeyPath = flags.string("verification-key-file");
    const skeyPath = flags.string("signing-key-file");
    const seed = randomBytes(32);
    const key = vrfSecretKeyFromSeed(seed);
    wipe(seed);
    const skey = vrfSecretKeyBytes(key);
    const vkey = Uint8Array.from(key.publicKey);
    try {
      writeEnvelopes([
        keyOutput(skeyPath, KEY_KINDS.vrfSigning, skey),
        keyOutput(vkeyPath, KEY_KINDS.vrfVerification, vkey),
      ]);
    } finally {
      wipe(skey);
      wipeVrfSecretKey(key);
    }
    io.out(`VRF key hash ${bytesToHex(blake2b256(vkey))}`);
    return 0;
  },
};

export const nodeNewCounter: Command = {
  path: ["node", "new-counter"],
  summary: "write an operational certificate issue counter with a given next issue number",
  flags: {
    "cold-verification-key-file": file("the pool's cold verification key"),
    "counter-value": { type: "string", required: true, value: "N", description: "the next issue number" },
    "operational-certificate-issue-counter-file": file(
      "the counter file to write (replaces an existing counter, nothing else)",
    ),
  },
  example:
    "poolfleet-cli node new-counter --cold-verification-key-file cold.vkey --counter-value 3 --operational-certificate-issue-counter-file cold.counter",
  run(flags, io) {
    const vkey = readKeyFile(flags.string("cold-verification-key-file"), KEY_KINDS.coldVerification);
    const value = flags.natural("counter-value");
    if (value > MAX_ISSUE_NUMBER) {
      throw new InputError(
        "--counter-value",
        `${value} is too large: issue numbers go up to ${MAX_ISSUE_NUMBER}, so that the next one is still exact`,
      );
    }
    const path = flags.string("operational-certificate-issue-counter-file");
    writeEnvelopes([counterOutput(path, { nextIssueNumber: value, coldVkey: vkey }, true)]);
    io.out(`${path}: next certificate issue number ${value}`);
    return 0;
  },
};

export const nodeIssueOpCert: Command = {
  path: ["node", "issue-op-cert"],
  summary: "issue an operational certificate for a KES key, and advance the issue counter",
  flags: {
    "kes-verification-key-file": file("the KES verification key to certify"),
    "cold-signing-key-file": file("the pool's cold signing key"),
    "operational-certificate-issue-counter-file": file("the issue counter (advanced by one)"),
    "kes-period": {
      type: "string",
      required: true,
      value: "N",
      description: "the KES period the certificate starts at",
    },
    "out-file": file("where to write the operational certificate"),
  },
  example:
    "poolfleet-cli node issue-op-cert --kes-verification-key-file kes.vkey --cold-signing-key-file cold.skey --operational-certificate-issue-counter-file cold.counter --kes-period 120 --out-file node.cert",
  run(flags, io) {
    const kesVkey = readKeyFile(flags.string("kes-verification-key-file"), KEY_KINDS.kesVerification);
    const coldPath = flags.string("cold-signing-key-file");
    const counterPath = flags.string("operational-certificate-issue-counter-file");
    const kesPeriod = flags.natural("kes-period");
    const outPath = flags.string("out-file");
    const counter = readIssueCounter(counterPath);
    const coldSeed = readKeyFile(coldPath, KEY_KINDS.coldSigning);
    try {
      const coldVkey = ed25519PublicKey(coldSeed);
      if (!equalBytes(coldVkey, counter.coldVkey)) {
        throw new InputError(
          counterPath,
          `counts certificates of cold key ${keyHash(counter.coldVkey)}, but ${coldPath} is cold key ${keyHash(coldVkey)}`,
        );
      }
      if (counter.nextIssueNumber > MAX_ISSUE_NUMBER) {
        throw new InputError(
          counterPath,
          `next issue number ${counter.nextIssueNumber} is too large to advance exactly (at most ${MAX_ISSUE_NUMBER})`,
        );
      }
      const cert = issueOperationalCertificate(coldSeed, kesVkey, counter.nextIssueNumber, kesPeriod);
      // Both or neither. The certificate is placed first, then the counter, as cardano-cli: a crash in between
      // can only lead to the same number being issued again (accepted on chain), never to a skipped one.
      // Each may replace only a file of its own kind: --out-file pointed at cold.skey or the counter is refused.
      writeEnvelopes([
        opcertOutput(outPath, cert, true),
        counterOutput(counterPath, { nextIssueNumber: counter.nextIssueNumber + 1, coldVkey }, true),
      ]);
      io.out(
        `${outPath}: issue number ${cert.sequenceNumber}, KES period ${kesPeriod}, pool ${bytesToHex(poolIdOf(coldVkey))}`,
      );
    } finally {
      wipe(coldSeed);
    }
    return 0;
  },
};
