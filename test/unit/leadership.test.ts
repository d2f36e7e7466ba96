// The leader schedule: the fast output-only VRF path agrees with full proofs, and the CLI's workers agree
// with the in-process computation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { leaderSlots, splitRange } from "../../src/consensus/leadership.ts";
import { praosLeaderValue, praosVrfInput } from "../../src/consensus/vrf-input.ts";
import { activeSlotCoeff, checkLeaderNatValue } from "../../src/crypto/leader.ts";
import { parseRational } from "../../src/crypto/rational.ts";
import { vrfProve, vrfSecretKeyFromBytes, vrfVerify } from "../../src/crypto/vrf.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { readShelleyGenesis } from "../../src/formats/genesis.ts";
import { SlotClock } from "../../src/formats/slot-clock.ts";
import { runCli } from "../helpers/cli.ts";
import { fixturePath, hex, readFixtureJson, unhex } from "../helpers/fixtures.ts";

const vrfPath = fixturePath("keys/cardano-cli-set", "vrf.skey");
const key = vrfSecretKeyFromBytes(readKeyFile(vrfPath, KEY_KINDS.vrfSigning));
const nonce = unhex("4ef95a10f639d0cf16bb963c3a580d4bf2a95b6ae7848702665884843e3c661d");
const sigma = parseRational("1/2");
const f = activeSlotCoeff(parseRational("1/2"));

describe("leader schedule", () => {
  it("matches the slots whose full VRF proof verifies and whose leader value passes the check", () => {
    const range = { from: 1000, to: 1300 };
    const fast = leaderSlots(key, nonce, range, sigma, f);
    const slow: number[] = [];
    for (let slot = range.from; slot < range.to; slot++) {
      const alpha = praosVrfInput(slot, nonce);
      const { proof } = vrfProve(key, alpha);
      const output = vrfVerify(key.publicKey, proof, alpha);
      assert.ok(output);
      if (checkLeaderNatValue(praosLeaderValue(output), sigma, f)) slow.push(slot);
    }
    assert.deepEqual(fast, slow);
    // 1 - (1/2)^(1/2) = 29.3% of slots: the count must be plausible, not zero or all.
    assert.ok(fast.length > 50 && fast.length < 130, `${fast.length} leader slots`);
  });

  it("splitRange covers the range exactly once", () => {
    for (const [from, to, parts] of [
      [0, 10, 3],
      [5, 6, 4],
      [100, 432100, 2],
    ] as const) {
      const ranges = splitRange({ from, to }, parts);
      assert.equal(ranges[0]!.from, from);
      assert.equal(ranges.at(-1)!.to, to);
      for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i]!.from, ranges[i - 1]!.to);
    }
  });

  it("the CLI (worker threads) lists the same slots with cardano-cli's JSON shape and slot times", async () => {
    const genesisPath = fixturePath("genesis", "preview-shelley-genesis.json");
    const r = await runCli([
      "query",
      "leadership-schedule",
      "--vrf-signing-key-file",
      vrfPath,
      "--epoch-nonce",
      hex(nonce),
      "--epoch-start-slot",
      "86400",
      "--epoch-length",
      "5000",
      "--relative-stake",
      "0.02",
      "--shelley-genesis",
      genesisPath,
      "--output-json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as { slotNumber: number; slotTime: string }[];
    const expected = leaderSlots(
      key,
      nonce,
      { from: 86400, to: 91400 },
      parseRational("0.02"),
      activeSlotCoeff(parseRational("0.05")),
    );
    assert.deepEqual(
      listed.map((s) => s.slotNumber),
      expected,
    );
    const clock = new SlotClock(readShelleyGenesis(genesisPath));
    for (const s of listed) assert.equal(Date.parse(s.slotTime), clock.timeOfSlot(s.slotNumber));
  });
});

describe("Praos VRF range extension on real headers", () => {
  const { headers } = readFixtureJson<{
    headers: { id: string; decoded_from_cbor: { vrf_output: string }; derived_by_collector: Record<string, string> }[];
  }>("headers", "real-headers.json");
  for (const h of headers.slice(0, 4)) {
    it(`${h.id}: leader value as published`, () => {
      const published = h.derived_by_collector['leader_value_blake2b256("L"||vrf_output)'];
      assert.ok(published);
      assert.equal(praosLeaderValue(unhex(h.decoded_from_cbor.vrf_output)).toString(16).padStart(64, "0"), published);
    });
  }
});
