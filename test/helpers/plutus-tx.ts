// A devnet ledger with the Alonzo-onwards parameters and an output locked by a PlutusV3 script, for the rule
// tests of Plutus transactions: `plan` spends that output and alice's funds with alice's collateral and the script
// integrity hash as it must be, `check` applies a plan and undoes it, returning the failures' names.
import { encodeCbor } from "../../src/codec/cbor.ts";
import { concatBytes, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { rational } from "../../src/crypto/rational.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams, PlutusParams } from "../../src/ledger/params.ts";
import { type Redeemer, scriptHash } from "../../src/ledger/plutus-witness.ts";
import { scriptIntegrityHash } from "../../src/ledger/rules/script-integrity.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import type { TxOutput } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { devnetLedger, genesisInput, wallet } from "./ledger.ts";

/**
 * Scripts made with @harmoniclabs/uplc's encoder (flat, in a CBOR byte string): `(program 1.1.0 (lam ctx (con unit
 * ())))`, `(program 1.1.0 (lam ctx (error)))`, and for V2 `(program 1.0.0 (lam d (lam r (lam ctx (con unit ())))))`.
 */
export const V3_SUCCEEDS = hexToBytes("450101002499");
export const V3_FAILS = hexToBytes("450101002601");
export const V2_SUCCEEDS = hexToBytes("46010000222499");
/** The same program as V2_SUCCEEDS, as a PlutusV1 script (its hash differs by the language tag). */
export const V1_SUCCEEDS = V2_SUCCEEDS;

export function plutusFixture(scriptBytes: Uint8Array = V3_SUCCEEDS, language: 1 | 2 | 3 = 3) {
  const { state, params: base, owners } = devnetLedger();
  const plutus: PlutusParams = {
    protocolMajor: 10,
    // All-zero cost models, as the Haskell conformance vectors use (only the startup cost is charged, and it is 0).
    costModels: new Map([
      [1, new Array<bigint>(166).fill(0n)],
      [2, new Array<bigint>(175).fill(0n)],
      [3, new Array<bigint>(231).fill(0n)],
    ]),
    prices: { mem: rational(577n, 10000n), steps: rational(721n, 10000000n) },
    maxTxExUnits: { mem: 10_000_000n, steps: 10_000_000_000n },
    collateralPercentage: 150n,
    maxCollateralInputs: 3,
    minFeeRefScriptCostPerByte: rational(15n, 1n),
    // 1 s slots from 2023-11-14T22:13:20Z: slot n begins at 1_700_000_000_000 + 1000 n POSIX ms.
    time: { systemStartMs: 1_700_000_000_000n, byronSlots: 0n, byronSlotLengthMs: 0n, slotLengthMs: 1000n },
  };
  const params: LedgerParams = { ...base, plutus };
  const alice = owners[0]!;
  const bob = wallet();
  const funds = 1_000_000_000_000n;
  const fee = 2_000_000n;
  const script = { language, bytes: scriptBytes };
  const scriptAddress = concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHash(language, script.bytes)));
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
  function plan(extra: Partial<TxPlan> = {}, languages = new Set<number>([language])): TxPlan {
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
  return {
    state,
    params,
    plutus,
    alice,
    bob,
    funds,
    fee,
    script,
    scriptAddress,
    locked,
    datum,
    spend,
    withOutputs,
    lockedOutput,
    plan,
    check,
  };
}
