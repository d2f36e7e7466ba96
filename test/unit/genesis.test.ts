import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseShelleyGenesis, readShelleyGenesis } from "../../src/formats/genesis.ts";
import { SlotClock } from "../../src/formats/slot-clock.ts";
import { fixturePath, hex, readFixtureJson } from "../helpers/fixtures.ts";

const constants = readFixtureJson<{
  shelley_genesis_files: Record<string, { blake2b256_of_file_bytes: string }>;
  fields_read_from_genesis: Record<
    string,
    { epochLength: number; slotsPerKESPeriod: number; maxKESEvolutions: number }
  >;
  byron_shelley_boundary_per_pallas_wellknown: Record<
    string,
    { shelley_known_slot: number; shelley_known_time: number }
  >;
  other_values_from_sources: Record<string, unknown>;
}>("genesis", "network-constants.json");

describe("Shelley genesis", () => {
  for (const network of ["mainnet", "preprod", "preview"]) {
    it(`${network}: hash, parameters and the Byron/Shelley boundary`, () => {
      const g = readShelleyGenesis(fixturePath("genesis", `${network}-shelley-genesis.json`));
      assert.equal(hex(g.hash), constants.shelley_genesis_files[network]!.blake2b256_of_file_bytes);
      const fields = constants.fields_read_from_genesis[network]!;
      assert.equal(g.epochLength, fields.epochLength);
      assert.equal(g.slotsPerKESPeriod, fields.slotsPerKESPeriod);
      assert.equal(g.maxKESEvolutions, fields.maxKESEvolutions);
      assert.deepEqual(g.activeSlotsCoeff, { num: 1n, den: 20n });
      const clock = new SlotClock(g);
      const boundary = constants.byron_shelley_boundary_per_pallas_wellknown[network]!;
      assert.equal(clock.timeOfSlot(boundary.shelley_known_slot), boundary.shelley_known_time * 1000);
      assert.equal(clock.slotAt(boundary.shelley_known_time * 1000), boundary.shelley_known_slot);
      assert.equal(clock.slotAt(boundary.shelley_known_time * 1000 + 86_400_500), boundary.shelley_known_slot + 86400);
    });
  }

  it("mainnet epochs: Shelley begins at epoch 208, 432000-slot epochs after it", () => {
    const clock = new SlotClock(readShelleyGenesis(fixturePath("genesis", "mainnet-shelley-genesis.json")));
    assert.equal(clock.epochOfSlot(4492799), 207);
    assert.equal(clock.epochOfSlot(4492800), 208);
    assert.equal(clock.firstSlotOfEpoch(374), 4492800 + (374 - 208) * 432000);
    assert.equal(clock.epochOfSlot(76204984), 374); // a real mainnet block's slot and epoch
  });

  it("KES periods count absolute slots (published examples)", () => {
    const clock = new SlotClock(readShelleyGenesis(fixturePath("genesis", "preview-shelley-genesis.json")));
    const examples = Object.entries(constants.other_values_from_sources).find(([k]) =>
      k.includes("SlotToKESPeriod"),
    )![1] as Record<string, number>;
    for (const [slot, period] of Object.entries(examples)) assert.equal(clock.kesPeriodOfSlot(Number(slot)), period);
  });

  it("keeps sub-second slot lengths and decimals exact", () => {
    const g = parseShelleyGenesis(
      Buffer.from(
        JSON.stringify({
          systemStart: "2026-01-01T00:00:00Z",
          networkMagic: 42,
          networkId: "Testnet",
          activeSlotsCoeff: 0.1,
          securityParam: 10,
          epochLength: 500,
          slotLength: 0.2,
          slotsPerKESPeriod: 100,
          maxKESEvolutions: 62,
          protocolParams: { slotLength: 7 },
        }),
      ),
      "devnet.json",
    );
    assert.equal(g.slotLengthMs, 200);
    assert.deepEqual(g.activeSlotsCoeff, { num: 1n, den: 10n });
    const clock = new SlotClock(g);
    assert.equal(clock.slotAt(Date.parse("2026-01-01T00:01:00Z")), 300);
    assert.equal(clock.epochOfSlot(1000), 2);
  });

  it("says which field is wrong", () => {
    assert.throws(() => parseShelleyGenesis(Buffer.from("{"), "g.json"), /g\.json: is not valid JSON/);
    assert.throws(
      () => parseShelleyGenesis(Buffer.from(JSON.stringify({ systemStart: "x" })), "g.json"),
      /g\.json: Shelley genesis field "systemStart"/,
    );
  });
});
