// Multi-asset values as cardano-ledger decodes, sizes and balances them (Conway, protocol 9 on), the
// OutputTooBigUTxO and ValueNotConservedUTxO rules in tokens, and the UTxO's tokens kept across a snapshot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cborArrayOfRaw, cborMapOfRaw } from "../../src/codec/cbor-raw.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { decodeTxOutput } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import {
  decodeMultiAsset,
  decodeValue,
  equalAssets,
  normaliseAssets,
  valueSize,
  valueToCbor,
  type MultiAsset,
} from "../../src/ledger/value.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const policyA = "a1".repeat(28);
const policyB = "0b".repeat(28);
const assets = (...e: [string, string, bigint][]): MultiAsset => normaliseAssets(e);
const pol = (hex: string) => encodeCbor(Buffer.from(hex, "hex"));
const name = (hex: string) => encodeCbor(Buffer.from(hex, "hex"));
const nameMap = (...e: [string, number][]) => cborMapOfRaw(e.map(([n, q]) => [name(n), encodeCbor(q)]));

describe("values decode as Conway decodes them", () => {
  it("a coin alone, or [coin, {policy: {name: quantity}}], normalised into byte order", () => {
    assert.deepEqual(decodeValue(encodeCbor(5), "v"), { coin: 5n, assets: new Map() });
    const raw = cborArrayOfRaw([
      encodeCbor(2_000_000),
      cborMapOfRaw([
        [pol(policyA), nameMap(["ff", 1], ["00", 2])],
        [pol(policyB), nameMap(["", 7])],
      ]),
    ]);
    const v = decodeValue(raw, "v");
    assert.equal(v.coin, 2_000_000n);
    assert.deepEqual([...v.assets.keys()], [policyB, policyA]);
    assert.deepEqual(
      [...v.assets.get(policyA)!],
      [
        ["00", 2n],
        ["ff", 1n],
      ],
    );
    assert.ok(equalAssets(v.assets, assets([policyA, "ff", 1n], [policyA, "00", 2n], [policyB, "", 7n])));
  });

  it("refuses zero, negative and oversized output quantities, and zero mint quantities; accepts negative mints", () => {
    const output = (q: number | bigint) =>
      cborArrayOfRaw([encodeCbor(1), cborMapOfRaw([[pol(policyA), cborMapOfRaw([[name("aa"), encodeCbor(q)]])]])]);
    assert.throws(() => decodeValue(output(0), "output 0 value"), /output 0 value .*quantity .* is zero/);
    assert.throws(() => decodeValue(output(-3), "v"), /must be positive/);
    assert.throws(() => decodeValue(output(2n ** 64n), "v"), /must be positive and below 2\^64/);
    const mint = (q: number) => cborMapOfRaw([[pol(policyA), cborMapOfRaw([[name("aa"), encodeCbor(q)]])]]);
    assert.throws(() => decodeMultiAsset(mint(0), "mint", "mint"), /mint quantity .* is zero/);
    assert.equal(decodeMultiAsset(mint(-3), "mint", "mint").get(policyA)!.get("aa"), -3n);
    assert.throws(() => decodeMultiAsset(mint(-3), "output", "v"), /must be positive/);
  });

  it("refuses a policy id not 28 bytes, a name over 32 bytes, an empty policy, and repeated keys", () => {
    const ma = (entries: [Uint8Array, Uint8Array][]) => cborMapOfRaw(entries);
    assert.throws(() => decodeMultiAsset(ma([[pol("aa".repeat(27)), nameMap(["", 1])]]), "output", "v"), /28 bytes/);
    assert.throws(
      () => decodeMultiAsset(ma([[pol(policyA), nameMap(["ab".repeat(33), 1])]]), "output", "v"),
      /over 32/,
    );
    assert.throws(() => decodeMultiAsset(ma([[pol(policyA), nameMap()]]), "output", "v"), /has no assets/);
    const twice = ma([
      [pol(policyA), nameMap(["01", 1])],
      [pol(policyA), nameMap(["02", 1])],
    ]);
    assert.throws(() => decodeMultiAsset(twice, "output", "v"), /names policy a1a1.* twice/);
    assert.throws(() => decodeMultiAsset(ma([[pol(policyA), nameMap(["01", 1], ["01", 2])]]), "output", "v"), /twice/);
    // Before Conway: repeats keep the last, zeros and empty policies are dropped.
    assert.deepEqual(decodeMultiAsset(twice, "output", "v", false), assets([policyA, "02", 1n]));
    assert.deepEqual(decodeMultiAsset(ma([[pol(policyA), nameMap(["01", 0])]]), "output", "v", false).size, 0);
  });

  it("an empty multi-asset map is an ada-only value, as Conway allows", () => {
    assert.equal(decodeValue(cborArrayOfRaw([encodeCbor(9), cborMapOfRaw([])]), "v").assets.size, 0);
  });

  it("a value's size is that of cardano-ledger's encoding, whatever bytes it came in", () => {
    for (const v of [
      { coin: 0n, assets: new Map() },
      { coin: 2n ** 40n, assets: new Map() },
      {
        coin: 1_500_000n,
        assets: assets([policyA, "", 1n], [policyA, "ab".repeat(32), 2n ** 63n], [policyB, "00", 300n]),
      },
    ])
      assert.equal(valueSize(v), encodeCbor(valueToCbor(v)).length);
    const indefinite = Uint8Array.from([0x82, 0x01, 0xbf, ...pol(policyA), 0xbf, ...name("aa"), 0x01, 0xff, 0xff]);
    const v = decodeValue(indefinite, "v");
    assert.equal(valueSize(v), encodeCbor(valueToCbor(v)).length);
    assert.equal(valueSize(v), indefinite.length - 2, "two indefinite maps are a byte longer each");
  });
});

describe("UTXO rules in tokens", () => {
  const { state, params, owners } = devnetLedger();
  const alice = owners[0]!;
  const funds = 1_000_000_000_000n;
  const fee = 400_000n;
  const tokenRef = { txId: new Uint8Array(32).fill(0x77), index: 0 };
  const held = assets([policyA, "746f6b656e", 50n]);
  // A token-holding output of alice's, put in the UTxO as a previous transaction would have left it.
  new Journal().set(state.utxo, outRef(tokenRef.txId, 0), {
    address: alice.address,
    coin: 2_000_000n,
    assets: held,
    datumOrScript: false,
  });
  const check = (tx: Parameters<typeof applyTx>[1]) => {
    const journal = new Journal();
    const failures = applyTx(state, tx, { slot: 10n, params }, journal);
    journal.rollback();
    return failures;
  };
  const bob = wallet();
  const plan = (bobAssets: MultiAsset, aliceAssets: MultiAsset = new Map()) => ({
    inputs: [genesisInput(alice), tokenRef],
    outputs: [
      { address: bob.address, coin: 3_000_000n, assets: bobAssets },
      { address: alice.address, coin: funds + 2_000_000n - 3_000_000n - fee, assets: aliceAssets },
    ],
    fee,
  });

  it("tokens move between outputs when every token is accounted for", () => {
    const split = buildTx(plan(assets([policyA, "746f6b656e", 20n]), assets([policyA, "746f6b656e", 30n])), [
      alice.paymentSeed,
    ]);
    assert.deepEqual(check(split), []);
  });

  it("creating tokens from nothing, or dropping some, is ValueNotConservedUTxO naming both sides", () => {
    const more = check(buildTx(plan(assets([policyA, "746f6b656e", 51n])), [alice.paymentSeed]));
    assert.deepEqual(
      more.map((f) => f.kind),
      ["ValueNotConservedUTxO"],
    );
    assert.match(more[0]!.message, new RegExp(`give .* \\+ 50 ${policyA}\\.746f6b656e, but .* \\+ 51 ${policyA}`));
    const fewer = check(buildTx(plan(assets([policyA, "746f6b656e", 49n])), [alice.paymentSeed]));
    assert.deepEqual(
      fewer.map((f) => f.kind),
      ["ValueNotConservedUTxO"],
    );
  });

  it("an output whose value serialises past maxValueSize is OutputTooBigUTxO, with its size", () => {
    // 200 policies of one 32-byte-named token: 200 * (30 + 1 + 34 + 9) bytes, well past 5000.
    const many = assets(
      ...Array.from({ length: 200 }, (_, i): [string, string, bigint] => [
        i.toString(16).padStart(56, "0"),
        "cd".repeat(32),
        1n,
      ]),
    );
    const failures = check(buildTx({ ...plan(many, held) }, [alice.paymentSeed]));
    const big = failures.find((f) => f.kind === "OutputTooBigUTxO");
    assert.ok(big && big.kind === "OutputTooBigUTxO", failures.map((f) => f.kind).join());
    assert.deepEqual(
      big.outputs.map((o) => [o.index, o.max]),
      [[0, 5000]],
    );
    assert.equal(big.outputs[0]!.size, valueSize({ coin: 3_000_000n, assets: many }));
    assert.ok(
      failures.some((f) => f.kind === "ValueNotConservedUTxO"),
      "the tokens came from nowhere, too",
    );
    const noParam = applyTx(
      state,
      buildTx(plan(held), [alice.paymentSeed]),
      { slot: 10n, params: { ...params, maxValueSize: null } },
      new Journal(),
    );
    assert.deepEqual(
      noParam.map((f) => f.kind),
      ["MissingProtocolParameter"],
    );
  });

  it("an output's minimum ada grows with its tokens (priced by its size)", () => {
    const tx = buildTx(plan(held), [alice.paymentSeed]);
    const small = { ...plan(held), outputs: [{ ...plan(held).outputs[0]!, coin: 1_000_000n }, plan(held).outputs[1]!] };
    const failures = check(buildTx(small, [alice.paymentSeed]));
    assert.ok(failures.some((f) => f.kind === "BabbageOutputTooSmallUTxO"));
    assert.deepEqual(check(tx), []);
    assert.ok(tx.body.outputs[0]!.bytes.length > 100, "the token output is priced for its tokens' bytes");
  });

  it("a snapshot keeps the tokens; one written before multi-assets reads with none", () => {
    const journal = new Journal();
    assert.deepEqual(applyTx(state, buildTx(plan(held), [alice.paymentSeed]), { slot: 10n, params }, journal), []);
    const restored = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    const withTokens = [...restored.utxo.values()].filter((o) => o.assets.size > 0);
    assert.equal(withTokens.length, 1);
    assert.ok(equalAssets(withTokens[0]!.assets, held));
    assert.equal(bytesToHex(withTokens[0]!.address), bytesToHex(bob.address));
    journal.rollback();
    const old = ledgerStateToJson(state) as { utxo: unknown[][] };
    old.utxo = old.utxo.map((e) => e.slice(0, 3));
    const fromOld = ledgerStateFromJson(old);
    assert.ok([...fromOld.utxo.values()].every((o) => o.assets.size === 0 && !o.datumOrScript));
    assert.equal(fromOld.utxo.size, state.utxo.size);
  });

  it("a Conway output with a zero quantity does not decode, with where it was", () => {
    const bad = cborArrayOfRaw([
      encodeCbor(Buffer.from(alice.address)),
      cborArrayOfRaw([encodeCbor(2_000_000), cborMapOfRaw([[pol(policyA), nameMap(["aa", 0])]])]),
    ]);
    assert.throws(() => decodeTxOutput(bad, 3), /output 3 value multi-asset quantity of a1.*\.aa is zero/);
  });
});
