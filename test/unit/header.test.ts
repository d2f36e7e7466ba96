// Headers made here with real keys: encode, sign, decode, validate; TPraos decoding; malformed input.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { blockBodyHash, blockBodySize, decodeBlock, encodeBlock } from "../../src/chain/block.ts";
import { blockBodyParts } from "../../src/ledger/tx.ts";
import { decodeHeader, type HeaderBody, HeaderDecodeError, signPraosHeader } from "../../src/chain/header.ts";
import { validateHeader, type ValidationContext } from "../../src/consensus/header-validation.ts";
import { praosLeaderValue, praosVrfInput } from "../../src/consensus/vrf-input.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../../src/crypto/hash.ts";
import { KesSigningKey } from "../../src/crypto/kes.ts";
import { activeSlotCoeff, checkLeaderNatValue } from "../../src/crypto/leader.ts";
import { parseRational } from "../../src/crypto/rational.ts";
import { vrfProve, vrfSecretKeyFromSeed } from "../../src/crypto/vrf.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { issueOperationalCertificate } from "../../src/formats/opcert.ts";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { loadRealHeaders } from "../helpers/real-headers.ts";

const f = activeSlotCoeff(parseRational("1/2"));
const nonce = new Uint8Array(32).fill(3);
const coldSeed = Uint8Array.from(randomBytes(32));
const coldVkey = ed25519PublicKey(coldSeed);
const vrf = vrfSecretKeyFromSeed(Uint8Array.from(randomBytes(32)));
const kesSeed = Uint8Array.from(randomBytes(32));
const poolId = bytesToHex(blake2b224(coldVkey));
const SLOTS_PER_KES = 100;

function forge(slot: bigint, opcertCounter = 1, opcertPeriod = 0n) {
  const kes = KesSigningKey.generate(kesSeed);
  const cert = issueOperationalCertificate(coldSeed, kes.verificationKey, opcertCounter, Number(opcertPeriod));
  kes.evolveTo(Math.max(0, Number(slot / BigInt(SLOTS_PER_KES) - opcertPeriod))); // a bad window still signs
  const { proof, output } = vrfProve(vrf, praosVrfInput(slot, nonce));
  const parts = blockBodyParts([]);
  const body: HeaderBody = {
    blockNumber: 10n,
    slot,
    prevHash: new Uint8Array(32).fill(9),
    issuerVkey: coldVkey,
    vrfVkey: vrf.publicKey,
    leaderVrf: { output, proof },
    blockBodySize: blockBodySize({ bodyParts: parts }),
    blockBodyHash: blockBodyHash({ bodyParts: parts }),
    opcert: {
      hotVkey: cert.hotVkey,
      sequenceNumber: BigInt(cert.sequenceNumber),
      kesPeriod: BigInt(cert.kesPeriod),
      sigma: cert.sigma,
    },
    protocolVersion: [10, 0],
  };
  return { header: signPraosHeader(body, kes), parts };
}

function leadingSlot(from: bigint): bigint {
  for (let s = from; s < from + 200n; s++) {
    const { output } = vrfProve(vrf, praosVrfInput(s, nonce));
    if (checkLeaderNatValue(praosLeaderValue(output), { num: 1n, den: 1n }, f)) return s;
  }
  throw new Error("no leading slot in 200 with half the slots active");
}

const context = (counter: number | undefined = 1): ValidationContext => ({
  params: { slotsPerKESPeriod: SLOTS_PER_KES, maxKESEvolutions: 62, activeSlotCoeff: f, maxMajorProtocolVersion: 10 },
  epochNonce: nonce,
  ledger: {
    pool: (id) => (id === poolId ? { stake: { num: 1n, den: 1n }, vrfKeyHash: blake2b256(vrf.publicKey) } : undefined),
    ocertCounter: (id) => (id === poolId ? counter : undefined),
  },
});

describe("headers forged with poolfleet's own keys", () => {
  const slot = leadingSlot(1234n);
  const { header, parts } = forge(slot);

  it("validate, and survive a round trip through bytes and a block", () => {
    assert.deepEqual(validateHeader(header, context()), []);
    const again = decodeHeader(header.bytes);
    assert.equal(bytesToHex(again.hash), bytesToHex(header.hash));
    const block = decodeBlock(encodeBlock(header, parts));
    assert.equal(blockBodySize(block), header.body.blockBodySize);
    assert.equal(bytesToHex(blockBodyHash(block)), bytesToHex(header.body.blockBodyHash));
  });

  it("report each fault by its PraosValidationErr name", () => {
    assert.equal(validateHeader(header, context(3))[0]?.kind, "CounterTooSmallOCERT");
    assert.equal(validateHeader(header, context(-1))[0]?.kind, "CounterOverIncrementedOCERT");
    assert.equal(validateHeader(forge(slot, 1, 20n).header, context())[0]?.kind, "KESBeforeStartOCERT");
    const ctx = context();
    assert.equal(validateHeader(header, { ...ctx, epochNonce: new Uint8Array(32) })[0]?.kind, "VRFKeyBadProof");
    assert.equal(
      validateHeader(header, { ...ctx, params: { ...ctx.params, maxMajorProtocolVersion: 9 } })[0]?.kind,
      "HeaderProtVerTooHigh",
    );
    assert.equal(
      validateHeader(header, { ...ctx, params: { ...ctx.params, maxKESEvolutions: 5 } })[0]?.kind,
      "KESAfterEndOCERT",
    );
    const tinyStake = {
      ...ctx,
      ledger: {
        ...ctx.ledger,
        pool: () => ({ stake: { num: 1n, den: 10n ** 12n }, vrfKeyHash: blake2b256(vrf.publicKey) }),
      },
    };
    const e = validateHeader(header, tinyStake)[0];
    assert.equal(e?.kind, "VRFLeaderValueTooBig");
    assert.match(e!.message, /did not lead slot/);
    const tampered = Uint8Array.from(header.bytes);
    tampered[10]! ^= 1; // inside the header body: the KES signature no longer covers it
    const t = decodeHeader(tampered);
    assert.ok(validateHeader(t, context(), { all: true }).some((x) => x.kind === "InvalidKesSignatureOCERT"));
  });
});

describe("TPraos (Shelley..Alonzo) headers", () => {
  it("decode the 15-item body with both VRF results and the flattened opcert", () => {
    const header = loadRealHeaders()[0]!.headers[0]!.header;
    const b = header.body;
    const vrf = (o: Uint8Array, p: Uint8Array) => [o, p];
    const body = encodeCbor([
      b.blockNumber,
      b.slot,
      b.prevHash,
      b.issuerVkey,
      b.vrfVkey,
      vrf(new Uint8Array(64).fill(1), new Uint8Array(80).fill(2)),
      vrf(b.leaderVrf.output, b.leaderVrf.proof),
      b.blockBodySize,
      b.blockBodyHash,
      b.opcert.hotVkey,
      b.opcert.sequenceNumber,
      b.opcert.kesPeriod,
      b.opcert.sigma,
      4,
      0,
    ]);
    const bytes = Uint8Array.from([0x82, ...body, ...encodeCbor(header.kesSignature)]);
    const t = decodeHeader(bytes);
    assert.equal(t.protocol, "TPraos");
    assert.equal(bytesToHex(t.body.nonceVrf!.output), "01".repeat(64));
    assert.equal(bytesToHex(t.body.leaderVrf.output), bytesToHex(b.leaderVrf.output));
    assert.deepEqual(t.body.protocolVersion, [4, 0]);
    assert.equal(t.body.opcert.kesPeriod, b.opcert.kesPeriod);
    assert.equal(bytesToHex(t.bodyBytes), bytesToHex(body));
  });
});

describe("malformed headers never crash the decoder", () => {
  const real = loadRealHeaders()[0]!.headers.map((h) => h.header.bytes);
  it("rejects empty, truncated, extended and garbage bytes with HeaderDecodeError", () => {
    const bad = [
      new Uint8Array(),
      real[0]!.subarray(0, 100),
      Uint8Array.from([...real[0]!, 0]),
      Uint8Array.from(randomBytes(300)),
      Uint8Array.of(0x9f, 0x9f, 0x9f),
    ];
    for (const b of bad) assert.throws(() => decodeHeader(b), HeaderDecodeError);
  });
  it("500 random byte mutations of real headers: each decodes or throws HeaderDecodeError", () => {
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from(real[i % real.length]!);
      for (let j = 0; j < 1 + (i % 4); j++) bytes[(i * 7919 + j * 104729) % bytes.length]! ^= 1 << ((i + j) % 8);
      try {
        decodeHeader(bytes);
      } catch (error) {
        assert.ok(
          error instanceof HeaderDecodeError,
          `mutation ${i}: ${(error as Error).name}: ${(error as Error).message}`,
        );
      }
    }
  });
});
