// The phase-1 rules of Plutus transactions (cardano-ledger Alonzo/Babbage/Conway UTXO and UTXOW): collateral,
// redeemers, datums, the script integrity hash, execution units, required signers, reference inputs and the
// fees for execution units and reference scripts. The scripts themselves are not run: a transaction that passes
// every phase-1 rule is then refused as UnsupportedFeature (phase 2), so each case below shows the one rule it
// breaks by name, and the well-formed transaction shows that every phase-1 rule holds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { concatBytes, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { rational } from "../../src/crypto/rational.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams, PlutusParams } from "../../src/ledger/params.ts";
import { decodePlutusWitnesses, type Redeemer, scriptHash } from "../../src/ledger/plutus-witness.ts";
import { refScriptFee, scriptFee } from "../../src/ledger/rules/min-fee.ts";
import { scriptIntegrityHash } from "../../src/ledger/rules/script-integrity.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import type { TxOutput } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { normaliseAssets } from "../../src/ledger/value.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const { state, params: base, owners } = devnetLedger();
const plutus: PlutusParams = {
  protocolMajor: 10,
  costModels: new Map([[3, [100n, -5n, 2n ** 40n]]]),
  prices: { mem: rational(577n, 10000n), steps: rational(721n, 10000000n) },
  maxTxExUnits: { mem: 10_000_000n, steps: 10_000_000_000n },
  collateralPercentage: 150n,
  maxCollateralInputs: 3,
  minFeeRefScriptCostPerByte: rational(15n, 1n),
};
const params: LedgerParams = { ...base, plutus };
const alice = owners[0]!;
const bob = wallet();
const funds = 1_000_000_000_000n;
const fee = 2_000_000n;
const script = { language: 3 as const, bytes: Uint8Array.of(0x46, 0x01, 0x00, 0x00, 0x22, 0x00, 0x11) };
const scriptAddress = concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHash(3, script.bytes)));
const locked = { txId: new Uint8Array(32).fill(0x61), index: 0 };
const datum = encodeCbor(42);
// Redeemers point at inputs sorted as a set: where the locked input falls next to alice's genesis input.
const lockedIndex = Buffer.compare(Buffer.from(locked.txId), Buffer.from(genesisInput(alice).txId)) < 0 ? 0 : 1;
const spend: Redeemer = {
  tag: "spend",
  index: lockedIndex,
  data: encodeCbor(0),
  exUnits: { mem: 1000n, steps: 100_000n },
};

function withOutputs(outputs: [{ txId: Uint8Array; index: number }, TxOutput][], run: () => void): void {
  const journal = new Journal();
  for (const [ref, o] of outputs) journal.set(state.utxo, outRef(ref.txId, ref.index), o);
  try {
    run();
  } finally {
    journal.rollback();
  }
}
const lockedOutput = (extra: Partial<TxOutput> = {}): TxOutput => ({
  address: scriptAddress,
  coin: 10_000_000n,
  assets: new Map(),
  datumOrScript: false,
  datumHash: Buffer.from(blake2b256(datum)).toString("hex"),
  ...extra,
});

/** Spend the script-locked output and alice's funds, collateral from alice, the integrity hash as it must be. */
function plan(extra: Partial<TxPlan> = {}, languages = new Set([3])): TxPlan {
  const p: TxPlan = {
    inputs: [locked, genesisInput(alice)],
    outputs: [{ address: alice.address, coin: funds + 10_000_000n - fee }],
    fee,
    collateral: [genesisInput(alice)],
    plutusScripts: [script],
    datums: [datum],
    redeemers: [spend],
    ...extra,
  };
  const draft = buildTx({ ...p, scriptDataHash: new Uint8Array(32) }, []);
  const hash = scriptIntegrityHash(draft.witnesses.plutus, languages, plutus.costModels);
  return { ...(hash && { scriptDataHash: hash }), ...p };
}

function check(p: TxPlan, seeds = [alice.paymentSeed], ps: LedgerParams = params): string[] {
  const journal = new Journal();
  const failures = applyTx(state, buildTx(p, seeds), { slot: 10n, params: ps }, journal);
  journal.rollback();
  return failures.map((f) => f.kind);
}

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

  it("a well-formed spend passes every phase-1 rule and then needs its script run", () => {
    withOutputs([[locked, lockedOutput()]], () => {
      assert.deepEqual(check(plan()), ["UnsupportedFeature"]);
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
          ["UnsupportedFeature"],
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
      assert.deepEqual(check(plan({ redeemers: [spend, { ...spend, index: 1 - lockedIndex }] })), ["ExtraRedeemers"]);
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
      assert.deepEqual(check(plan({ datums: [datum, encodeCbor(43)], outputs })), ["UnsupportedFeature"]);
    });
    withOutputs([[locked, lockedOutput({ datumHash: undefined })]], () => {
      assert.deepEqual(check(plan({ datums: [] })), ["UnsupportedFeature"], "V3 may spend an output without a datum");
    });
    const v2 = { language: 2 as const, bytes: script.bytes };
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
        ["UnsupportedFeature"],
      );
      assert.deepEqual(check(plan({ referenceInputs: [genesisInput(alice)] })), ["BabbageNonDisjointRefInputs"]);
      assert.deepEqual(check(plan({ referenceInputs: [{ txId: new Uint8Array(32), index: 9 }] })), ["BadInputsUTxO"]);
    });
    const pay = { inputs: [genesisInput(alice)], outputs: [{ address: bob.address, coin: funds - fee }], fee };
    assert.deepEqual(check(pay), []);
    assert.deepEqual(check({ ...pay, isValid: false }), ["ValidationTagMismatch"]);
  });
});
