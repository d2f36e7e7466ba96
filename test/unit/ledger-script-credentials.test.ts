// Script stake credentials (cardano-ledger `ScriptHashObj`): a certificate or withdrawal naming a script
// credential needs the script, not a signature — a native script here (Plutus ones are judged by the Haskell
// conformance vectors) — and its account is its own, apart from a key credential with the same hash.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { decodeCertificate, rewardAccountCredential, scriptCredential } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { type NativeScript, scriptHashOf } from "../../src/ledger/native-script.ts";
import { sortedWithdrawals } from "../../src/ledger/rules/phase-one-scripts.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import { devnetLedger, genesisInput } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const funds = 1_000_000_000_000n;
const fee = 400_000n;
const lock: NativeScript = { kind: "RequireSignature", keyHash: alice.paymentHash };
const hash = scriptHashOf(lock);
const cred = scriptCredential(hash);

function check(plan: Partial<TxPlan>, journal = new Journal()): string[] {
  const deposit = params.keyDeposit;
  const full: TxPlan = {
    inputs: [genesisInput(alice)],
    outputs: [{ address: alice.address, coin: funds - fee - deposit }],
    fee,
    certificates: [{ kind: "StakeRegistration", credential: cred, deposit }],
    ...plan,
  };
  return applyTx(state, buildTx(full, [alice.paymentSeed]), { slot: 10n, params }, journal).map((f) => f.kind);
}

describe("script stake credentials", () => {
  it("decode as script credentials, in certificates and reward accounts", () => {
    const c = decodeCertificate([0, [1, Buffer.from(hash, "hex")]], 0);
    assert.deepEqual(c, { kind: "StakeRegistration", credential: `script:${hash}` });
    assert.equal(rewardAccountCredential(`f0${hash}`), `script:${hash}`);
    assert.equal(rewardAccountCredential(`e0${hash}`), hash);
    // cardano-ledger orders withdrawals by network, then script credentials before keys, then hash.
    assert.deepEqual(sortedWithdrawals([`e0${"00".repeat(28)}`, `f0${"ff".repeat(28)}`, `e1${"00".repeat(28)}`]), [
      `f0${"ff".repeat(28)}`,
      `e0${"00".repeat(28)}`,
      `e1${"00".repeat(28)}`,
    ]);
  });

  it("a registration stating its deposit needs the script, which must hold; the account is the script's", () => {
    assert.deepEqual(check({}), ["MissingScriptWitnessesUTXOW"]);
    const journal = new Journal();
    assert.deepEqual(check({ nativeScripts: [lock] }, journal), []);
    assert.ok(state.accounts.has(cred));
    assert.equal(state.accounts.has(hash), false, "not the key credential of the same hash");
    journal.rollback();
    const other: NativeScript = { kind: "RequireSignature", keyHash: "00".repeat(28) };
    const otherCred = scriptCredential(scriptHashOf(other));
    assert.deepEqual(
      check({
        nativeScripts: [other],
        certificates: [{ kind: "StakeRegistration", credential: otherCred, deposit: params.keyDeposit }],
      }),
      ["ScriptWitnessNotValidatingUTXOW"],
    );
  });

  it("a withdrawal from a script reward account needs the script", () => {
    const journal = new Journal();
    const register = buildTx(
      {
        inputs: [genesisInput(alice)],
        outputs: [{ address: alice.address, coin: funds - fee - params.keyDeposit }],
        fee,
        certificates: [{ kind: "StakeRegistration", credential: cred, deposit: params.keyDeposit }],
        nativeScripts: [lock],
      },
      [alice.paymentSeed],
    );
    assert.deepEqual(applyTx(state, register, { slot: 10n, params }, journal), []);
    const withdraw = (nativeScripts: NativeScript[]) =>
      buildTx(
        {
          inputs: [{ txId: register.body.id, index: 0 }],
          outputs: [{ address: alice.address, coin: funds - 2n * fee - params.keyDeposit }],
          fee,
          withdrawals: new Map([[`f0${hash}`, 0n]]),
          nativeScripts,
        },
        [alice.paymentSeed],
      );
    const kinds = (tx: ReturnType<typeof withdraw>) => {
      const j = new Journal();
      const failures = applyTx(state, tx, { slot: 11n, params }, j).map((f) => f.kind);
      j.rollback();
      return failures;
    };
    assert.deepEqual(kinds(withdraw([])), ["MissingScriptWitnessesUTXOW"]);
    assert.deepEqual(kinds(withdraw([lock])), []);
    journal.rollback();
  });
});
