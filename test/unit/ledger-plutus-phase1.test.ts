// The phase-1 rules of Plutus transactions (cardano-ledger Alonzo/Babbage/Conway UTXO and UTXOW): collateral,
// redeemers, datums, the script integrity hash, execution units, required signers, reference inputs, the fees
// for execution units and reference scripts, and that Plutus scripts deserialise. Each case breaks one rule and
// is refused by its name; the well-formed spend of a PlutusV3 output applies (its script, which returns unit, runs:
// phase 2 is ledger-plutus-phase2.test.ts). The scripts are built with @harmoniclabs/uplc's encoder:
// `(program 1.1.0 (lam ctx (con unit ())))`, and for V2 `(program 1.0.0 (lam d (lam r (lam ctx (con unit ())))))`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { concatBytes, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { rational } from "../../src/crypto/rational.ts";
import { decodePlutusWitnesses, scriptHash } from "../../src/ledger/plutus-witness.ts";
import { refScriptFee, scriptFee } from "../../src/ledger/rules/min-fee.ts";
import { scriptIntegrityHash } from "../../src/ledger/rules/script-integrity.ts";
import { normaliseAssets } from "../../src/ledger/value.ts";
import { genesisInput } from "../helpers/ledger.ts";
import { plutusFixture, V2_SUCCEEDS } from "../helpers/plutus-tx.ts";

const { params, plutus, alice, bob, funds, fee, script, locked, datum, spend, withOutputs, lockedOutput, plan, check } =
  plutusFixture();

describe("Plutus transactions, phase 1", () => {
  it("fees: execution units at their prices rounded up once; reference scripts by 25 KiB tiers, 1.2 times dearer", () => {
    assert.equal(scriptFee(plutus.prices, { mem: 1n, steps: 1n }), 1n);
    assert.equal(scriptFee(plutus.prices, { mem: 10_000n, steps: 0n }), 577n);
    assert.equal(scriptFee(plutus.prices, { mem: 10_000n, steps: 10_000_000n }), 577n + 721n);
    const perByte = rational(15n, 1n);
    assert.equal(refScriptFee(perByte, 0), 0n);
    assert.equal(refScriptFee(perByte, 100), 1500n);
    assert.equal(refScriptFee(perByte, 25_600 + 100), 25_600n * 15n + 100n * 18n);
    // The third tier costs 21.6 a byte: 10 bytes are 216, and the floor comes only at the end.
    assert.equal(refScriptFee(perByte, 51_200 + 10), 25_600n * 15n + 25_600n * 18n + 216n);
    assert.equal(refScriptFee(rational(1n, 3n), 2), 0n);
    assert.equal(refScriptFee(rational(1n, 3n), 3), 1n);
  });

  it("the script integrity hash: redeemers' bytes, datums' bytes, then language views (PlutusV1 double-bagged, sorted shortest first)", () => {
    const wits = decodePlutusWitnesses(new Map([[5, Uint8Array.of(0xa0)]]));
    // PlutusV1 without a cost model: key 41 00, value the byte string of null (41 f6).
    assert.deepEqual(
      scriptIntegrityHash(wits, new Set([1]), new Map()),
      blake2b256(Uint8Array.of(0xa0, 0xa1, 0x41, 0x00, 0x41, 0xf6)),
    );
    // V1 (cost model 5, -1 as an indefinite list in a byte string) and V3 ([7]): V3's one-byte key 02 first.
    const models = new Map([
      [1, [5n, -1n]],
      [3, [7n]],
    ]);
    const views = Uint8Array.of(0xa2, 0x02, 0x81, 0x07, 0x41, 0x00, 0x44, 0x9f, 0x05, 0x20, 0xff);
    assert.deepEqual(
      scriptIntegrityHash(wits, new Set([1, 3]), models),
      blake2b256(concatBytes(Uint8Array.of(0xa0), views)),
    );
    assert.equal(scriptIntegrityHash(wits, new Set(), models), null, "no redeemers, datums or languages: no hash");
  });

  it("a well-formed spend passes every phase-1 rule, and its script runs and passes", () => {
    withOutputs([[locked, lockedOutput()]], () => {
      assert.deepEqual(check(plan()), []);
      const malformed = { language: 3 as const, bytes: hexToBytes("4401010024") };
      assert.ok(check(plan({ plutusScripts: [script, malformed] })).includes("MalformedScriptWitnesses"));
      assert.deepEqual(
        check(plan(), [alice.paymentSeed], { ...params, plutus: { ...plutus, costModels: new Map() } }),
        ["PPViewHashesDontMatch"],
      );
    });
  });

  it("collateral: some, key-locked, enough, ada only, as stated, not too many", () => {
    const scriptCollateral = { txId: new Uint8Array(32).fill(0x62), index: 0 };
    withOutputs(
      [
        [locked, lockedOutput()],
        [scriptCollateral, lockedOutput({ datumHash: undefined })],
      ],
      () => {
        assert.deepEqual(check(plan({ collateral: undefined })), ["InsufficientCollateral", "NoCollateralInputs"]);
        assert.deepEqual(check(plan({ collateral: [genesisInput(alice), scriptCollateral] })), ["ScriptsNotPaidUTxO"]);
        const back = { address: alice.address, coin: funds - 1_000_000n };
        assert.deepEqual(check(plan({ collateralReturn: back })), ["InsufficientCollateral"]);
        assert.deepEqual(check(plan({ collateralReturn: back, totalCollateral: 1_000_000n })), [
          "InsufficientCollateral",
        ]);
        assert.deepEqual(
          check(
            plan({
              collateralReturn: { address: alice.address, coin: funds - 5_000_000n },
              totalCollateral: 4_000_000n,
            }),
          ),
          ["IncorrectTotalCollateralField"],
        );
        assert.deepEqual(
          check(
            plan({
              collateralReturn: { address: alice.address, coin: funds - 5_000_000n },
              totalCollateral: 5_000_000n,
            }),
          ),
          [],
        );
        const many = [1, 2, 3].map((i) => ({ txId: genesisInput(alice).txId, index: i }));
        assert.deepEqual(check(plan({ collateral: [genesisInput(alice), ...many] })).sort(), [
          "BadInputsUTxO",
          "TooManyCollateralInputs",
        ]);
      },
    );
    const tokens = { txId: new Uint8Array(32).fill(0x63), index: 0 };
    const coin = normaliseAssets([["ab".repeat(28), "", 5n]]);
    withOutputs(
      [
        [locked, lockedOutput()],
        [tokens, { address: bob.address, coin: 10_000_000n, assets: coin, datumOrScript: false }],
      ],
      () =>
        assert.deepEqual(check(plan({ collateral: [tokens] }), [alice.paymentSeed, bob.paymentSeed]), [
          "CollateralContainsNonADA",
        ]),
    );
  });

  it("redeemers: one for each Plutus purpose, none extra, within maxTxExUnits", () => {
    withOutputs([[locked, lockedOutput()]], () => {
      assert.deepEqual(check(plan({ redeemers: [] })), ["MissingRedeemers"]);
      assert.deepEqual(check(plan({ redeemers: [spend, { ...spend, index: 1 - spend.index }] })), ["ExtraRedeemers"]);
      assert.deepEqual(
        check(
          plan({
            redeemers: [{ ...spend, exUnits: { mem: 10_000_001n, steps: 1n } }],
            fee: 3_000_000n,
            outputs: [{ address: alice.address, coin: funds + 7_000_000n }],
          }),
        ),
        ["ExUnitsTooBigUTxO"],
      );
      assert.deepEqual(
        check(plan({ fee: 170_000n, outputs: [{ address: alice.address, coin: funds + 9_830_000n }] })),
        ["FeeTooSmallUTxO"],
      );
    });
  });

  it("datums: the spent output's datum must come, nothing unasked, and V1/V2 cannot spend an output without one", () => {
    withOutputs([[locked, lockedOutput()]], () => {
      assert.deepEqual(check(plan({ datums: [] })), ["MissingRequiredDatums"]);
      assert.deepEqual(check(plan({ datums: [datum, encodeCbor(43)] })), ["NotAllowedSupplementalDatums"]);
      const outputs = [
        { address: alice.address, coin: funds + 10_000_000n - fee - 2_000_000n },
        { address: bob.address, coin: 2_000_000n, datumHash: blake2b256(encodeCbor(43)) },
      ];
      assert.deepEqual(check(plan({ datums: [datum, encodeCbor(43)], outputs })), []);
    });
    withOutputs([[locked, lockedOutput({ datumHash: undefined })]], () => {
      assert.deepEqual(check(plan({ datums: [] })), [], "V3 may spend an output without a datum");
    });
    const v2 = { language: 2 as const, bytes: V2_SUCCEEDS };
    const v2Address = concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHash(2, v2.bytes)));
    withOutputs([[locked, lockedOutput({ address: v2Address, datumHash: undefined })]], () => {
      assert.deepEqual(check(plan({ datums: [], plutusScripts: [v2] }, new Set([2]))), ["UnspendableUTxONoDatumHash"]);
    });
  });

  it("required signers must sign; reference inputs exist and are not spent too; is_valid false needs a script to fail", () => {
    withOutputs([[locked, lockedOutput()]], () => {
      assert.deepEqual(check(plan({ requiredSigners: [hexToBytes(bob.paymentHash)] })), ["MissingVKeyWitnessesUTXOW"]);
      assert.deepEqual(
        check(plan({ requiredSigners: [hexToBytes(bob.paymentHash)] }), [alice.paymentSeed, bob.paymentSeed]),
        [],
      );
      assert.deepEqual(check(plan({ referenceInputs: [genesisInput(alice)] })), ["BabbageNonDisjointRefInputs"]);
      assert.deepEqual(check(plan({ referenceInputs: [{ txId: new Uint8Array(32), index: 9 }] })), ["BadInputsUTxO"]);
    });
    const pay = { inputs: [genesisInput(alice)], outputs: [{ address: bob.address, coin: funds - fee }], fee };
    assert.deepEqual(check(pay), []);
    assert.deepEqual(check({ ...pay, isValid: false }), ["ValidationTagMismatch"]);
  });
});
