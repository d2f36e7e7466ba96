// cardano-cli's `node` key commands: same names, flags and output files.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { bytesToHex, equalBytes, wipe } from "../../crypto/bytes.ts";
import { ed25519PublicKey } from "../../crypto/ed25519.ts";
import { blake2b256 } from "../../crypto/hash.ts";
import { KesSigningKey } from "../../crypto/kes.ts";
import { vrfSecretKeyBytes, vrfSecretKeyFromSeed, wipeVrfSecretKey } from "../../crypto/vrf.ts";
import { InputError } from "../../formats/errors.ts";
import { KEY_KINDS, readKeyFile, writeKeyFile } from "../../formats/keys.ts";
import {
  issueOperationalCertificate,
  poolIdOf,
  readIssueCounter,
  writeIssueCounter,
  writeOperationalCertificate,
} from "../../formats/opcert.ts";
import { keyHash } from "../../keys/consistency.ts";
import type { Command } from "../command.ts";

// Key generation never replaces a file: check every output before writing any, so nothing is half-done.
function refuseExisting(...paths: string[]): void {
  for (const path of paths) {
    if (existsSync(path)) {
      throw new InputError(
        path,
        "already exists; refusing to overwrite it (move it away first if you mean to replace it)",
      );
    }
  }
}

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
    refuseExisting(vkeyPath, skeyPath, counterPath);
    const seed = randomBytes(32);
    const vkey = ed25519PublicKey(seed);
    try {
      writeKeyFile(skeyPath, KEY_KINDS.coldSigning, seed);
    } finally {
      wipe(seed);
    }
    writeKeyFile(vkeyPath, KEY_KINDS.coldVerification, vkey);
    writeIssueCounter(counterPath, { nextIssueNumber: 0, coldVkey: vkey }, true);
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
    refuseExisting(vkeyPath, skeyPath);
    const seed = randomBytes(32);
    const key = KesSigningKey.generate(seed);
    wipe(seed);
    const vkey = key.verificationKey;
    const bytes = key.toBytes();
    try {
      writeKeyFile(skeyPath, KEY_KINDS.kesSigning, bytes);
    } finally {
      wipe(bytes);
      key.wipe();
    }
    writeKeyFile(vkeyPath, KEY_KINDS.kesVerification, vkey);
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
    refuseExisting(vkeyPath, skeyPath);
    const seed = randomBytes(32);
    const key = vrfSecretKeyFromSeed(seed);
    wipe(seed);
    const skey = vrfSecretKeyBytes(key);
    try {
      writeKeyFile(skeyPath, KEY_KINDS.vrfSigning, skey);
    } finally {
      wipe(skey);
      wipeVrfSecretKey(key);
    }
    writeKeyFile(vkeyPath, KEY_KINDS.vrfVerification, key.publicKey);
    io.out(`VRF key hash ${bytesToHex(blake2b256(key.publicKey))}`);
    return 0;
  },
};

export const nodeNewCounter: Command = {
  path: ["node", "new-counter"],
  summary: "write an operational certificate issue counter with a given next issue number",
  flags: {
    "cold-verification-key-file": file("the pool's cold verification key"),
    "counter-value": { type: "string", required: true, value: "N", description: "the next issue number" },
    "operational-certificate-issue-counter-file": file("the counter file to write (replaced if it exists)"),
  },
  example:
    "poolfleet-cli node new-counter --cold-verification-key-file cold.vkey --counter-value 3 --operational-certificate-issue-counter-file cold.counter",
  run(flags, io) {
    const vkey = readKeyFile(flags.string("cold-verification-key-file"), KEY_KINDS.coldVerification);
    const value = flags.natural("counter-value");
    const path = flags.string("operational-certificate-issue-counter-file");
    writeIssueCounter(path, { nextIssueNumber: value, coldVkey: vkey });
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
      const cert = issueOperationalCertificate(coldSeed, kesVkey, counter.nextIssueNumber, kesPeriod);
      // Certificate first, then the counter, as cardano-cli: a crash in between can only lead to the same
      // number being issued again (accepted on chain), never to a skipped number (rejected on chain).
      writeOperationalCertificate(outPath, cert);
      writeIssueCounter(counterPath, { nextIssueNumber: counter.nextIssueNumber + 1, coldVkey });
      io.out(
        `${outPath}: issue number ${cert.sequenceNumber}, KES period ${kesPeriod}, pool ${bytesToHex(poolIdOf(coldVkey))}`,
      );
    } finally {
      wipe(coldSeed);
    }
    return 0;
  },
};
