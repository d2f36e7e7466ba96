// The validity interval Plutus scripts see (cardano-ledger Alonzo TxInfo.hs `transValidityInterval` over
// `slotToPOSIXTime`): slots become POSIX milliseconds through the network's own conversion (checked against the
// Byron/Shelley boundaries pallas knows for mainnet, preprod and preview), the bounds are closed or open as the
// ledger sets them per protocol version, a slot past the horizon is a context error, and a script that compares
// the range it is shown with the one its redeemer names passes exactly when the two agree.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DataConstr, DataI, dataToCbor, type Data } from "@harmoniclabs/plutus-data";
import { hexToBytes } from "../../src/crypto/bytes.ts";
import { readShelleyGenesis } from "../../src/formats/genesis.ts";
import { ContextError } from "../../src/ledger/plutus/data.ts";
import { slotTimeOf, slotToPosixMs, validRange } from "../../src/ledger/plutus/time.ts";
import { fixturePath, readFixtureJson } from "../helpers/fixtures.ts";
import { plutusFixture } from "../helpers/plutus-tx.ts";

const boundaries = readFixtureJson<{
  byron_shelley_boundary_per_pallas_wellknown: Record<
    string,
    { byron_known_time: number; shelley_known_slot: number; shelley_known_time: number }
  >;
}>("genesis", "network-constants.json").byron_shelley_boundary_per_pallas_wellknown;

/**
 * `(program 1.1.0 (lam ctx (force [ifThenElse [equalsData range redeemer] (delay ()) (delay (error))])))`, where
 * range is TxInfo's eighth field and redeemer the ScriptContext's second: a PlutusV3 script that passes only when
 * the validity range it is shown equals the Data its redeemer carries (flat from @harmoniclabs/uplc's encoder).
 */
const RANGE_IS_REDEEMER = hexToBytes(
  "5838" +
    "01010025333573466ebcd5d09aba2357446ae88d5d11aba2357446ae88d55cf1baa357426aae78dd50009aba1357446aae78dd50008a4c2d",
);

// PlutusLedgerApi's Interval, written out independently of time.ts: Extended NegInf 0 | Finite 1 | PosInf 2.
const c = (i: number, fields: Data[] = []) => new DataConstr(i, fields);
const yes = c(1);
const no = c(0);
const at = (t: bigint) => c(1, [new DataI(t)]);
const interval = (lower: Data, lowerClosed: Data, upper: Data, upperClosed: Data) =>
  c(0, [c(0, [lower, lowerClosed]), c(0, [upper, upperClosed])]);
const same = (a: Data, b: Data) =>
  assert.equal(Buffer.from(dataToCbor(a)).toString("hex"), Buffer.from(dataToCbor(b)).toString("hex"));

describe("the validity interval a Plutus script sees", () => {
  for (const network of ["mainnet", "preprod", "preview"]) {
    it(`${network}: slots are POSIX ms through its Byron prefix and Shelley slots`, () => {
      const time = slotTimeOf(readShelleyGenesis(fixturePath("genesis", `${network}-shelley-genesis.json`)));
      const b = boundaries[network]!;
      assert.equal(slotToPosixMs(time, 0n), BigInt(b.byron_known_time) * 1000n);
      const shelley = BigInt(b.shelley_known_slot);
      assert.equal(slotToPosixMs(time, shelley), BigInt(b.shelley_known_time) * 1000n);
      assert.equal(slotToPosixMs(time, shelley + 86_400n), BigInt(b.shelley_known_time + 86_400) * 1000n);
      if (shelley > 0n) assert.equal(slotToPosixMs(time, shelley - 1n), BigInt(b.shelley_known_time - 20) * 1000n);
    });
  }

  it("mainnet's slot s is POSIX second 1591566291 + s from Shelley on", () => {
    const time = slotTimeOf(readShelleyGenesis(fixturePath("genesis", "mainnet-shelley-genesis.json")));
    assert.equal(slotToPosixMs(time, 140_000_000n), (1_591_566_291n + 140_000_000n) * 1000n);
  });

  it("bounds: the lower always closed, the upper open, except a lone upper bound before protocol version 9", () => {
    const time = { systemStartMs: 1000n, byronSlots: 0n, byronSlotLengthMs: 0n, slotLengthMs: 1000n };
    same(validRange({}, time, 10), interval(c(0), yes, c(2), yes));
    same(validRange({ validityStart: 5n }, time, 10), interval(at(6000n), yes, c(2), yes));
    same(validRange({ ttl: 9n }, time, 10), interval(c(0), yes, at(10_000n), no));
    same(validRange({ ttl: 9n }, time, 9), interval(c(0), yes, at(10_000n), no));
    same(validRange({ ttl: 9n }, time, 8), interval(c(0), yes, at(10_000n), yes));
    same(validRange({ validityStart: 5n, ttl: 9n }, time, 8), interval(at(6000n), yes, at(10_000n), no));
  });

  it("a slot past the conversion's horizon is TimeTranslationPastHorizon, a context error", () => {
    const time = { systemStartMs: 0n, byronSlots: 0n, byronSlotLengthMs: 0n, slotLengthMs: 1000n, horizon: 100n };
    assert.equal(slotToPosixMs(time, 99n), 99_000n);
    assert.throws(
      () => validRange({ ttl: 100n }, time, 10),
      (e: unknown) => e instanceof ContextError && !e.unsupported && /TimeTranslationPastHorizon/.test(e.message),
    );
  });

  it("a script shown the range passes when it names that range, fails when it names another", () => {
    const f = plutusFixture(RANGE_IS_REDEEMER);
    const start = f.params.plutus!.time!.systemStartMs;
    const naming = (range: Data) => ({ redeemers: [{ ...f.spend, data: dataToCbor(range) }] });
    const exact = interval(at(start + 5000n), yes, at(start + 20_000n), no);
    f.withOutputs([[f.locked, f.lockedOutput()]], () => {
      const bounds = { validityStart: 5n, ttl: 20n };
      assert.deepEqual(f.check(f.plan({ ...bounds, ...naming(exact) })), []);
      const closed = interval(at(start + 5000n), yes, at(start + 20_000n), yes);
      assert.deepEqual(f.check(f.plan({ ...bounds, ...naming(closed) })), ["ValidationTagMismatch"]);
      assert.deepEqual(f.check(f.plan({ ...naming(interval(c(0), yes, c(2), yes)) })), [], "no bounds: always");
      const { time: _, ...noTime } = f.params.plutus!;
      assert.deepEqual(
        f.check(f.plan({ ...bounds, ...naming(exact) }), undefined, { ...f.params, plutus: noTime }),
        ["UnsupportedFeature"],
        "without the network's conversion the transaction is not judged",
      );
    });
  });
});
