// Phase 2 (cardano-ledger UTXOS): the PlutusV3 scripts a transaction needs run on their ScriptContext within their
// redeemers' execution units, and the outcome must match the is_valid flag (ValidationTagMismatch). A transaction
// marked invalid whose script does fail takes only its collateral: the collateral inputs go, the collateral return
// comes back as the output after the transaction's own, the fee pot gains what the collateral paid, and nothing
// else happens. The ScriptContext is checked field by field against cardano-ledger's TxInfo layout.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataB, DataConstr, DataI, DataList, DataMap } from "@harmoniclabs/plutus-data";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { dcertV1V2, txCertV3 } from "../../src/ledger/plutus/certificates.ts";
import { txInfoV1V2 } from "../../src/ledger/plutus/context-v1v2.ts";
import { ContextError } from "../../src/ledger/plutus/data.ts";
import { scriptContextV3, txInfoV3 } from "../../src/ledger/plutus/context-v3.ts";
import { deserialise, runScript } from "../../src/ledger/plutus/evaluate.ts";
import { validRange } from "../../src/ledger/plutus/time.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { genesisInput } from "../helpers/ledger.ts";
import { plutusFixture, V1_SUCCEEDS, V2_SUCCEEDS, V3_FAILS, V3_SUCCEEDS } from "../helpers/plutus-tx.ts";

const fields = (d: unknown) => (d as DataConstr).fields;
type Map_ = DataMap<DataB | DataI | DataConstr, DataB | DataI | DataConstr | DataMap<DataB, DataI>>;

describe("Plutus transactions, phase 2", () => {
  it("a script that fails refuses a transaction marked valid; marked invalid, only the collateral is taken", () => {
    const f = plutusFixture(V3_FAILS);
    f.withOutputs([[f.locked, f.lockedOutput()]], () => {
      assert.deepEqual(f.check(f.plan()), ["ValidationTagMismatch"]);
      const back = { address: f.alice.address, coin: f.funds - 3_000_000n };
      const tx = buildTx(f.plan({ isValid: false, collateralReturn: back, totalCollateral: 3_000_000n }), [
        f.alice.paymentSeed,
      ]);
      const journal = new Journal();
      const fees = f.state.pots.fees;
      assert.deepEqual(applyTx(f.state, tx, { slot: 10n, params: f.params }, journal), []);
      assert.equal(f.state.utxo.has(outRef(genesisInput(f.alice).txId, 0)), false, "the collateral is spent");
      assert.ok(f.state.utxo.has(outRef(f.locked.txId, 0)), "the script-locked input is not");
      assert.equal(f.state.utxo.has(outRef(tx.body.id, 0)), false, "the outputs are not created");
      assert.equal(f.state.utxo.get(outRef(tx.body.id, 1))?.coin, f.funds - 3_000_000n, "the return is output 1");
      assert.equal(f.state.pots.fees, fees + 3_000_000n);
      journal.rollback();
      assert.ok(f.state.utxo.has(outRef(genesisInput(f.alice).txId, 0)));
    });
  });

  it("a script that passes applies a transaction marked valid and refuses one marked invalid", () => {
    const f = plutusFixture(V3_SUCCEEDS);
    f.withOutputs([[f.locked, f.lockedOutput()]], () => {
      assert.deepEqual(f.check(f.plan()), []);
      assert.deepEqual(f.check(f.plan({ isValid: false })), ["ValidationTagMismatch"]);
    });
  });

  it("PlutusV1 and V2 scripts take datum, redeemer and context; V1 cannot see inline datums, neither a donation", () => {
    for (const [bytes, language] of [
      [V1_SUCCEEDS, 1],
      [V2_SUCCEEDS, 2],
    ] as const) {
      const f = plutusFixture(bytes, language);
      f.withOutputs([[f.locked, f.lockedOutput()]], () => {
        assert.deepEqual(f.check(f.plan()), [], `V${language}`);
        const out = { address: f.alice.address, coin: f.funds + 10_000_000n - f.fee - 1n };
        assert.deepEqual(f.check(f.plan({ donation: 1n, outputs: [out] })), ["CollectErrors"], `V${language}`);
        const inline = [{ address: f.alice.address, coin: f.funds + 10_000_000n - f.fee, inlineDatum: f.datum }];
        assert.deepEqual(f.check(f.plan({ outputs: inline })), language === 1 ? ["CollectErrors"] : [], `V${language}`);
      });
    }
  });

  it("the budget is the redeemer's, with the cost model's startup cost (not the machine's own 100)", () => {
    const program = deserialise(3, V3_SUCCEEDS);
    assert.ok(typeof program !== "string");
    const model = new Array<bigint>(251).fill(0n);
    const ctx = new DataConstr(0, []);
    assert.equal(runScript(3, program, [ctx], model, { mem: 0n, steps: 0n }).ok, true, "a zero model costs nothing");
    model[29] = 7n; // cekStartupCost-exBudgetCPU
    model[30] = 5n; // cekStartupCost-exBudgetMemory
    assert.deepEqual(runScript(3, program, [ctx], model, { mem: 5n, steps: 7n }), {
      ok: true,
      spent: { mem: 5n, steps: 7n },
    });
    assert.equal(runScript(3, program, [ctx], model, { mem: 4n, steps: 7n }).ok, false);
    assert.equal(deserialise(2, V3_SUCCEEDS), "UPLC version 1.1.0, which PlutusV2 does not accept");
  });

  it("the ScriptContext: TxInfo's sixteen fields as cardano-ledger lays them out, the redeemer, the spending ScriptInfo", () => {
    const f = plutusFixture(V3_SUCCEEDS);
    f.withOutputs([[f.locked, f.lockedOutput()]], () => {
      const tx = buildTx(
        f.plan({ donation: 5n, outputs: [{ address: f.alice.address, coin: f.funds + 10_000_000n - f.fee - 5n }] }),
        [f.alice.paymentSeed],
      );
      const src = { body: tx.body, witnesses: tx.witnesses, utxo: f.state.utxo };
      const info = txInfoV3(src, validRange(tx.body, f.params.plutus!.time!, 10));
      const [
        inputs,
        refInputs,
        outputs,
        fee,
        mint,
        certs,
        wdrl,
        range,
        signers,
        redeemers,
        datums,
        id,
        votes,
        proposals,
        treasury,
        donation,
      ] = fields(info);
      assert.equal(fields(info).length, 16);
      assert.equal((inputs as DataList).list.length, 2);
      const lockedIn = (inputs as DataList).list[f.spend.index]!;
      // TxInInfo [TxOutRef [B id, I index], TxOut [address, value, OutputDatumHash, NoScript]]
      const [ref, out] = fields(lockedIn);
      assert.equal(bytesToHex((fields(ref)[0] as DataB).bytes), bytesToHex(f.locked.txId));
      assert.equal((fields(ref)[1] as DataI).int, 0n);
      const [addr, value, datum, script] = fields(out);
      assert.equal((addr as DataConstr).constr, 0n);
      assert.equal((fields(addr)[0] as DataConstr).constr, 1n, "a script payment credential");
      assert.equal((fields(addr)[1] as DataConstr).constr, 1n, "no stake credential (enterprise)");
      const ada = (value as Map_).map[0]!;
      assert.equal((ada.fst as DataB).bytes.length, 0, "ada first, under the empty policy");
      assert.equal(((ada.snd as Map_).map[0]!.snd as DataI).int, 10_000_000n);
      assert.equal((datum as DataConstr).constr, 1n, "OutputDatumHash");
      assert.equal((script as DataConstr).constr, 1n, "no reference script");
      assert.equal((refInputs as DataList).list.length, 0);
      assert.equal((outputs as DataList).list.length, 1);
      assert.equal((fee as DataI).int, f.fee, "the fee is plain lovelace");
      assert.equal((mint as Map_).map.length, 0, "no ada entry in V3's mint");
      assert.equal((certs as DataList).list.length + (wdrl as Map_).map.length, 0);
      assert.equal((fields(fields(range)[0])[0] as DataConstr).constr, 0n, "NegInf");
      assert.equal((fields(fields(range)[1])[0] as DataConstr).constr, 2n, "PosInf");
      assert.equal((signers as DataList).list.length, 0);
      assert.equal((redeemers as Map_).map.length, 1);
      assert.equal(((redeemers as Map_).map[0]!.fst as DataConstr).constr, 1n, "Spending");
      assert.equal((datums as Map_).map.length, 1);
      assert.equal(bytesToHex((id as DataB).bytes), bytesToHex(tx.body.id), "V3's TxId is the bytes");
      assert.equal((votes as Map_).map.length + (proposals as DataList).list.length, 0);
      assert.equal((treasury as DataConstr).constr, 1n, "Nothing");
      assert.equal((fields(donation)[0] as DataI).int, 5n, "Just the donation");
      const ctx = scriptContextV3(src, info, tx.witnesses.plutus.redeemers[0]!);
      const [, redeemer, scriptInfo] = fields(ctx);
      assert.equal((redeemer as DataI).int, 0n);
      assert.equal((scriptInfo as DataConstr).constr, 1n, "SpendingScript");
      assert.equal((fields(fields(scriptInfo)[1])[0] as DataI).int, 42n, "Just the datum the output's hash names");
    });
  });

  it("the V1 and V2 TxInfo: TxId wrapped, the fee a Value, the mint with a zero ada entry, V1's datums a list of pairs", () => {
    const f = plutusFixture(V2_SUCCEEDS, 2);
    f.withOutputs([[f.locked, f.lockedOutput()]], () => {
      const tx = buildTx(f.plan(), [f.alice.paymentSeed]);
      const src = { body: tx.body, witnesses: tx.witnesses, utxo: f.state.utxo };
      const range = validRange(tx.body, f.params.plutus!.time!, 10);
      const v2 = fields(txInfoV1V2(src, 2, 10, range));
      assert.equal(v2.length, 12);
      const v1 = fields(txInfoV1V2(src, 1, 10, range));
      assert.equal(v1.length, 10);
      for (const [info, at] of [
        [v2, { fee: 3, mint: 4, id: 11 }],
        [v1, { fee: 2, mint: 3, id: 9 }],
      ] as const) {
        const fee = (info[at.fee] as Map_).map[0]!;
        assert.equal(((fee.snd as Map_).map[0]!.snd as DataI).int, f.fee, "the fee as ada in a Value");
        const mint = (info[at.mint] as Map_).map;
        assert.equal(mint.length, 1);
        assert.equal(((mint[0]!.snd as Map_).map[0]!.snd as DataI).int, 0n, "zero ada in the mint");
        assert.equal(
          bytesToHex((fields(info[at.id])[0] as DataB).bytes),
          bytesToHex(tx.body.id),
          "TxId = Constr 0 [B]",
        );
      }
      const pair = (v1[8] as DataList).list[0]!;
      assert.equal((fields(pair)[1] as DataI).int, 42n, "V1 datums: [(hash, datum)]");
      assert.equal(fields((v1[0] as DataList).list[0]!).length, 2, "V1 TxInInfo [ref, out]");
      assert.equal(fields(fields((v1[0] as DataList).list[f.spend.index]!)[1]).length, 3, "V1 TxOut has 3 fields");
    });
  });

  it("certificates: V1/V2's DCert (Conway's deposit forms shown as Shelley's), V3's TxCert with the deposit", () => {
    const cred = "ab".repeat(28);
    const pool = "cd".repeat(28);
    const reg = { kind: "StakeRegistration", credential: cred, deposit: 2_000_000n } as const;
    const [v3cred, v3deposit] = fields(txCertV3(reg));
    assert.equal((txCertV3(reg) as DataConstr).constr, 0n);
    assert.equal(bytesToHex((fields(v3cred)[0] as DataB).bytes), cred, "V3: the credential itself");
    assert.equal((fields(v3deposit)[0] as DataI).int, 2_000_000n, "Just the deposit");
    assert.equal((fields(txCertV3({ kind: "StakeRegistration", credential: cred }))[1] as DataConstr).constr, 1n);
    const v1 = dcertV1V2(reg);
    assert.equal((v1 as DataConstr).constr, 0n, "DCertDelegRegKey");
    assert.equal(fields(v1).length, 1, "no deposit in V1/V2");
    assert.equal((fields(fields(v1)[0])[0] as DataConstr).constr, 0n, "StakingHash (PubKeyCredential ..)");
    const deleg = { kind: "StakeDelegation", credential: cred, poolId: pool } as const;
    assert.equal((dcertV1V2(deleg) as DataConstr).constr, 2n);
    assert.equal((fields(txCertV3(deleg))[1] as DataConstr).constr, 0n, "DelegStake");
    assert.equal((txCertV3({ kind: "PoolRetirement", poolId: pool, epoch: 9 }) as DataConstr).constr, 8n);
    assert.equal((dcertV1V2({ kind: "PoolRetirement", poolId: pool, epoch: 9 }) as DataConstr).constr, 4n);
    const regDeleg = { kind: "StakeRegistrationDelegation", credential: cred, poolId: pool, deposit: 1n } as const;
    assert.equal((txCertV3(regDeleg) as DataConstr).constr, 3n);
    assert.throws(
      () => dcertV1V2(regDeleg),
      (e: unknown) => e instanceof ContextError && !e.unsupported,
    );
  });
});
