// The consistency gate, including the seeds/003 incident: a new opcert deployed beside the old KES key.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { checkKeySet, keyHash, keySetPasses, type KeySet } from "../../src/keys/consistency.ts";
import { SlotClock } from "../../src/formats/slot-clock.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";

// A devnet whose KES periods are 100 s long (100 one-second slots), started at a fixed time.
const clock = new SlotClock(
  parseShelleyGenesis(
    Buffer.from(
      JSON.stringify({
        systemStart: "2026-01-01T00:00:00Z",
        networkMagic: 42,
        networkId: "Testnet",
        activeSlotsCoeff: 0.05,
        securityParam: 10,
        epochLength: 1000,
        slotLength: 1,
        slotsPerKESPeriod: 100,
        maxKESEvolutions: 62,
      }),
    ),
    "devnet-genesis.json",
  ),
);
const atPeriod = (p: number, extraSeconds = 0) =>
  new Date(Date.parse("2026-01-01T00:00:00Z") + (p * 100 + extraSeconds) * 1000);

function statusOf(results: ReturnType<typeof checkKeySet>, check: string) {
  return results.find((r) => r.check === check)!;
}

describe("keys check (the gate)", () => {
  const pool = newPool();
  const oldKes = newKes();
  const newKesKey = newKes();
  const vrf = newVrf();
  const base = (over: Partial<KeySet> = {}): KeySet => ({
    kesSigningKey: { bytes: newKesKey.bytes, name: "kes.skey" },
    opcert: { cert: issue(pool, newKesKey.vkey, 3, 10), name: "node.cert" },
    vrfSigningKey: { bytes: vrf, name: "vrf.skey" },
    coldVerificationKey: { bytes: pool.coldVkey, name: "cold.vkey" },
    counter: { counter: { nextIssueNumber: 4, coldVkey: pool.coldVkey }, name: "cold.counter" },
    clock,
    at: atPeriod(12),
    ...over,
  });

  it("passes a consistent key set, every check", () => {
    const results = checkKeySet(base());
    assert.deepEqual(
      results.map((r) => r.status),
      ["pass", "pass", "pass", "pass", "pass"],
    );
    assert.ok(keySetPasses(results));
    assert.match(statusOf(results, "kes-window").message, /60 period\(s\) left/);
  });

  it("seeds/003: a new opcert with the OLD KES key fails, names both keys by hash and says what to do", () => {
    const results = checkKeySet(base({ kesSigningKey: { bytes: oldKes.bytes, name: "kes.skey" } }));
    assert.equal(keySetPasses(results), false);
    const r = statusOf(results, "kes-key");
    assert.equal(r.status, "fail");
    assert.ok(r.message.includes(keyHash(oldKes.vkey)), "names the deployed KES key");
    assert.ok(r.message.includes(keyHash(newKesKey.vkey)), "names the certified KES key");
    assert.match(r.message, /Deploy the KES key the certificate was issued for/);
    // The other checks still pass: only the KES pairing is wrong, which is what made the incident silent.
    assert.equal(results.filter((x) => x.status === "fail").length, 1);
  });

  it("a certificate from another cold key fails", () => {
    const other = newPool();
    const r = statusOf(
      checkKeySet(base({ opcert: { cert: issue(other, newKesKey.vkey, 3, 10), name: "node.cert" } })),
      "opcert-signature",
    );
    assert.equal(r.status, "fail");
    assert.match(r.message, /belongs to another pool/);
  });

  it("a tampered certificate fails its signature check", () => {
    const cert = issue(pool, newKesKey.vkey, 3, 10);
    const r = statusOf(
      checkKeySet(base({ opcert: { cert: { ...cert, kesPeriod: 11 }, name: "node.cert" } })),
      "opcert-signature",
    );
    assert.equal(r.status, "fail");
  });

  it("counter: an old certificate and a counter file behind both fail, each with its remedy", () => {
    const stale = statusOf(
      checkKeySet(base({ counter: { counter: { nextIssueNumber: 6, coldVkey: pool.coldVkey }, name: "c" } })),
      "counter",
    );
    assert.equal(stale.status, "fail");
    assert.match(stale.message, /old certificate/);
    const behind = statusOf(
      checkKeySet(base({ counter: { counter: { nextIssueNumber: 3, coldVkey: pool.coldVkey }, name: "c" } })),
      "counter",
    );
    assert.equal(behind.status, "fail");
    assert.match(behind.message, /new-counter --counter-value 4/);
  });

  it("KES window: not yet valid, last valid period, and expired", () => {
    assert.equal(statusOf(checkKeySet(base({ at: atPeriod(9) })), "kes-window").status, "fail");
    assert.equal(statusOf(checkKeySet(base({ at: atPeriod(71, 99) })), "kes-window").status, "pass");
    const expired = statusOf(checkKeySet(base({ at: atPeriod(72) })), "kes-window");
    assert.equal(expired.status, "fail");
    assert.match(expired.message, /expired at the end of KES period 71/);
  });

  it("a VRF key whose halves disagree fails", () => {
    const broken = Uint8Array.from(vrf);
    broken[40]! ^= 1;
    assert.equal(
      statusOf(checkKeySet(base({ vrfSigningKey: { bytes: broken, name: "vrf.skey" } })), "vrf-key").status,
      "fail",
    );
  });

  it("optional inputs that are absent are reported as skipped, not passed or failed", () => {
    const results = checkKeySet({ kesSigningKey: { bytes: newKesKey.bytes, name: "k" }, opcert: base().opcert });
    assert.deepEqual(
      results.map((r) => r.status),
      ["pass", "pass", "skip", "skip", "skip"],
    );
    assert.ok(keySetPasses(results));
  });

  it("never puts secret bytes in a message", () => {
    const results = checkKeySet(base({ kesSigningKey: { bytes: oldKes.bytes, name: "kes.skey" } }));
    const text = results.map((r) => r.message).join("\n");
    for (const secret of [oldKes.bytes.subarray(0, 32), vrf.subarray(0, 32), pool.coldSeed]) {
      assert.equal(text.includes(bytesToHex(secret)), false);
    }
  });
});
