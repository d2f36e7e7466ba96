// Minting and burning under native-script policies (Conway UTXOW/UTXO): a mint needs each policy's script in
// the witness set, the script must hold (signatures, time locks), no unneeded script may come along, minted
// tokens count as consumed and burned ones as produced, and a script-locked output is spent by its script.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { concatBytes, hexToBytes } from "../../src/crypto/bytes.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { type NativeScript, nativeScriptToCbor, scriptHashOf } from "../../src/ledger/native-script.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { equalAssets, type MultiAsset, normaliseAssets } from "../../src/ledger/value.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const bob = wallet();
const funds = 1_000_000_000_000n;
const fee = 400_000n;
const aliceSigns: NativeScript = { kind: "RequireSignature", keyHash: alice.paymentHash };
const policy = scriptHashOf(aliceSigns);
const token = (q: bigint, p = policy): MultiAsset => normaliseAssets([[p, "636f696e", q]]);

/** Alice mints `mint` and pays bob 2 ada plus `toBob`, change (with any other tokens) back to her. */
function mintPlan(mint: MultiAsset, toBob: MultiAsset, extra: Partial<TxPlan> = {}): TxPlan {
  return {
    inputs: [genesisInput(alice)],
    outputs: [
      { address: bob.address, coin: 2_000_000n, assets: toBob },
      { address: alice.address, coin: funds - 2_000_000n - fee },
    ],
    fee,
    mint,
    nativeScripts: [aliceSigns],
    ...extra,
  };
}

function check(plan: TxPlan, seeds = [alice.paymentSeed], slot = 10n): string[] {
  const journal = new Journal();
  const failures = applyTx(state, buildTx(plan, seeds), { slot, params }, journal);
  journal.rollback();
  return failures.map((f) => f.kind);
}

describe("minting under native-script policies", () => {
  it("a mint signed as its policy requires is applied, and the tokens are in the UTxO", () => {
    const tx = buildTx(mintPlan(token(1000n), token(1000n)), [alice.paymentSeed]);
    const journal = new Journal();
    assert.deepEqual(applyTx(state, tx, { slot: 10n, params }, journal), []);
    const out = state.utxo.get(outRef(tx.body.id, 0))!;
    assert.ok(equalAssets(out.assets, token(1000n)));
    journal.rollback();
  });

  it("a policy that does not hold is ScriptWitnessNotValidatingUTXOW (bob's signature instead of alice's)", () => {
    const plan = mintPlan(token(5n), token(5n), {
      inputs: [genesisInput(alice)],
      nativeScripts: [{ kind: "RequireSignature", keyHash: bob.paymentHash }],
      mint: token(5n, scriptHashOf({ kind: "RequireSignature", keyHash: bob.paymentHash })),
      outputs: [
        {
          address: bob.address,
          coin: 2_000_000n,
          assets: token(5n, scriptHashOf({ kind: "RequireSignature", keyHash: bob.paymentHash })),
        },
        { address: alice.address, coin: funds - 2_000_000n - fee },
      ],
    });
    assert.deepEqual(check(plan), ["ScriptWitnessNotValidatingUTXOW"]);
    assert.deepEqual(check(plan, [alice.paymentSeed, bob.paymentSeed]), [], "with bob's signature it holds");
  });

  it("a mint without its policy script is MissingScriptWitnessesUTXOW; an unneeded script is Extraneous", () => {
    assert.deepEqual(check(mintPlan(token(5n), token(5n), { nativeScripts: [] })), ["MissingScriptWitnessesUTXOW"]);
    const spare: NativeScript = { kind: "RequireTimeStart", slot: 0n };
    assert.deepEqual(check(mintPlan(token(5n), token(5n), { nativeScripts: [aliceSigns, spare] })), [
      "ExtraneousScriptWitnessesUTXOW",
    ]);
  });

  it("a time-locked policy mints only inside its lock, with the validity interval bounded", () => {
    const locked: NativeScript = {
      kind: "RequireAllOf",
      scripts: [aliceSigns, { kind: "RequireTimeExpire", slot: 500n }],
    };
    const p = scriptHashOf(locked);
    const plan = (ttl?: bigint) =>
      mintPlan(token(1n, p), token(1n, p), { nativeScripts: [locked], ...(ttl !== undefined && { ttl }) });
    assert.deepEqual(check(plan(400n)), []);
    assert.deepEqual(check(plan(501n)), ["ScriptWitnessNotValidatingUTXOW"]);
    assert.deepEqual(check(plan()), ["ScriptWitnessNotValidatingUTXOW"]);
  });

  it("tokens in outputs beyond the mint are ValueNotConservedUTxO", () => {
    assert.deepEqual(check(mintPlan(token(5n), token(6n))), ["ValueNotConservedUTxO"]);
    assert.deepEqual(check(mintPlan(token(5n), token(4n))), ["ValueNotConservedUTxO"]);
  });

  it("a burn takes tokens out of circulation: held 10, burn 3, 7 remain; burning more than held is refused", () => {
    const mint = buildTx(
      mintPlan(token(10n), new Map(), {
        outputs: [{ address: alice.address, coin: funds - fee, assets: token(10n) }],
      }),
      [alice.paymentSeed],
    );
    const journal = new Journal();
    assert.deepEqual(applyTx(state, mint, { slot: 10n, params }, journal), []);
    const burn = (q: bigint, left: bigint) =>
      buildTx(
        {
          inputs: [{ txId: mint.body.id, index: 0 }],
          outputs: [{ address: alice.address, coin: funds - 2n * fee, assets: left > 0n ? token(left) : new Map() }],
          fee,
          mint: token(-q),
          nativeScripts: [aliceSigns],
        },
        [alice.paymentSeed],
      );
    const j2 = new Journal();
    assert.deepEqual(applyTx(state, burn(3n, 7n), { slot: 11n, params }, j2), []);
    j2.rollback();
    assert.deepEqual(
      applyTx(state, burn(11n, 0n), { slot: 11n, params }, j2).map((f) => f.kind),
      ["ValueNotConservedUTxO"],
    );
    journal.rollback();
  });

  it("an output locked by a native script is spent by giving the script, and only when it holds", () => {
    const lock: NativeScript = {
      kind: "RequireAnyOf",
      scripts: [aliceSigns, { kind: "RequireSignature", keyHash: bob.paymentHash }],
    };
    const address = concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHashOf(lock))); // enterprise, script
    const ref = { txId: new Uint8Array(32).fill(0x42), index: 0 };
    const journal = new Journal();
    journal.set(state.utxo, outRef(ref.txId, 0), {
      address,
      coin: 10_000_000n,
      assets: new Map(),
      datumOrScript: false,
    });
    const spend = (scripts: NativeScript[]): TxPlan => ({
      inputs: [ref],
      outputs: [{ address: bob.address, coin: 10_000_000n - fee }],
      fee,
      nativeScripts: scripts,
    });
    assert.deepEqual(check(spend([lock]), [bob.paymentSeed]), []);
    assert.deepEqual(check(spend([lock]), [wallet().paymentSeed]), ["ScriptWitnessNotValidatingUTXOW"]);
    assert.deepEqual(check(spend([]), [bob.paymentSeed]), ["MissingScriptWitnessesUTXOW"]);
    journal.rollback();
  });

  it("a script-locked input is spent with the script a reference input carries, and without it is missing", () => {
    const lock: NativeScript = { kind: "RequireSignature", keyHash: bob.paymentHash };
    const address = concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHashOf(lock)));
    const locked = { txId: new Uint8Array(32).fill(0x43), index: 0 };
    const holder = { txId: new Uint8Array(32).fill(0x44), index: 0 };
    const journal = new Journal();
    journal.set(state.utxo, outRef(locked.txId, 0), {
      address,
      coin: 10_000_000n,
      assets: new Map(),
      datumOrScript: false,
    });
    journal.set(state.utxo, outRef(holder.txId, 0), {
      address: bob.address,
      coin: 10_000_000n,
      assets: new Map(),
      datumOrScript: true,
      referenceScript: { language: 0, bytes: encodeCbor(nativeScriptToCbor(lock)), hash: scriptHashOf(lock) },
    });
    const plan: TxPlan = { inputs: [locked], outputs: [{ address: bob.address, coin: 10_000_000n - fee }], fee };
    assert.deepEqual(check({ ...plan, referenceInputs: [holder] }, [bob.paymentSeed]), []);
    assert.deepEqual(check(plan, [bob.paymentSeed]), ["MissingScriptWitnessesUTXOW"]);
    assert.deepEqual(check({ ...plan, referenceInputs: [holder] }, [alice.paymentSeed]), [
      "ScriptWitnessNotValidatingUTXOW",
    ]);
    journal.rollback();
  });
});
