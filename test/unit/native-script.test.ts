// Native scripts: their CBOR form and hash (cardano-cli's policy ids), and cardano-ledger's evalTimelock.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b224 } from "../../src/crypto/hash.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import {
  decodeNativeScripts,
  evalTimelock,
  type NativeScript,
  nativeScriptFromCbor,
  nativeScriptToCbor,
  scriptHashOf,
} from "../../src/ledger/native-script.ts";

const key = (b: number) => ({ kind: "RequireSignature", keyHash: bytesToHex(new Uint8Array(28).fill(b)) }) as const;
const k1 = key(1);
const k2 = key(2);
const k3 = key(3);
const signers = (...ks: { keyHash: string }[]) => new Set(ks.map((k) => k.keyHash));

describe("native scripts", () => {
  it("a script's hash is Blake2b-224 of 0x00 and its bytes; decoding the bytes gives the script back", () => {
    const script: NativeScript = { kind: "RequireAllOf", scripts: [k1, { kind: "RequireTimeExpire", slot: 5000n }] };
    const bytes = encodeCbor(nativeScriptToCbor(script));
    assert.equal(scriptHashOf(script), bytesToHex(blake2b224(Uint8Array.from([0, ...bytes]))));
    assert.deepEqual(nativeScriptFromCbor(nativeScriptToCbor(script)), script);
    // A set of two in the witness set (tag 258), each hashed over its own bytes.
    const set = Uint8Array.from([0xd9, 0x01, 0x02, 0x82, ...bytes, ...encodeCbor(nativeScriptToCbor(k2))]);
    assert.deepEqual(
      decodeNativeScripts(set).map((w) => w.hash),
      [scriptHashOf(script), scriptHashOf(k2)],
    );
  });

  it("a signature script encodes as cardano-cli writes one (8200581c and the key hash)", () => {
    // {"type": "sig", "keyHash": "e09d36c79dec9bd1b3d9e152247701cd0bb860b5ebfd1de8abb6735a"} from cardano-cli's
    // documentation; its CBOR is 8200581c<keyHash>.
    const sig = nativeScriptFromCbor([0, hexToBytes("e09d36c79dec9bd1b3d9e152247701cd0bb860b5ebfd1de8abb6735a")]);
    assert.equal(
      bytesToHex(encodeCbor(nativeScriptToCbor(sig))),
      "8200581ce09d36c79dec9bd1b3d9e152247701cd0bb860b5ebfd1de8abb6735a",
    );
  });

  it("refuses unknown types, wrong arity and short key hashes, saying where", () => {
    assert.throws(() => nativeScriptFromCbor([6, 1]), /native script has unknown type 6/);
    assert.throws(() => nativeScriptFromCbor([1, [[0]]]), /native script\.0 must be an array/);
    assert.throws(() => nativeScriptFromCbor([0, new Uint8Array(27)]), /must be 28 bytes/);
    assert.throws(() => nativeScriptFromCbor([3, 1]), /must have 3 elements/);
  });

  it("signatures, all, any and m-of-n", () => {
    const ctx = { signers: signers(k1, k3) };
    assert.equal(evalTimelock(k1, ctx), true);
    assert.equal(evalTimelock(k2, ctx), false);
    assert.equal(evalTimelock({ kind: "RequireAllOf", scripts: [k1, k3] }, ctx), true);
    assert.equal(evalTimelock({ kind: "RequireAllOf", scripts: [k1, k2] }, ctx), false);
    assert.equal(evalTimelock({ kind: "RequireAllOf", scripts: [] }, ctx), true);
    assert.equal(evalTimelock({ kind: "RequireAnyOf", scripts: [k2, k3] }, ctx), true);
    assert.equal(evalTimelock({ kind: "RequireAnyOf", scripts: [] }, ctx), false);
    assert.equal(evalTimelock({ kind: "RequireMOf", m: 2, scripts: [k1, k2, k3] }, ctx), true);
    assert.equal(evalTimelock({ kind: "RequireMOf", m: 3, scripts: [k1, k2, k3] }, ctx), false);
    assert.equal(evalTimelock({ kind: "RequireMOf", m: 0, scripts: [] }, ctx), true);
    const negative = nativeScriptFromCbor([3, -2, [nativeScriptToCbor(k2)]]);
    assert.deepEqual(negative, { kind: "RequireMOf", m: -2, scripts: [k2] });
    assert.equal(evalTimelock(negative, ctx), true, "cardano-ledger's Int count: negative always holds");
  });

  it("time locks need the validity interval bounded on their side and inside them", () => {
    const after: NativeScript = { kind: "RequireTimeStart", slot: 100n };
    const before: NativeScript = { kind: "RequireTimeExpire", slot: 200n };
    const s = signers();
    assert.equal(evalTimelock(after, { signers: s }), false, "no lower bound: could be before slot 100");
    assert.equal(evalTimelock(after, { signers: s, validityStart: 99n }), false);
    assert.equal(evalTimelock(after, { signers: s, validityStart: 100n }), true);
    assert.equal(evalTimelock(before, { signers: s }), false, "no ttl: could be after slot 200");
    assert.equal(evalTimelock(before, { signers: s, ttl: 201n }), false);
    assert.equal(evalTimelock(before, { signers: s, ttl: 200n }), true);
  });
});
