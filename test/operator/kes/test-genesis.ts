// The network the KES tests run on: mainnet-like KES periods (129600 one-second slots, 62 evolutions) on a network
// that started 2026-01-01, so period numbers and times are easy to work out by hand.
import { parseShelleyGenesis, type ShelleyGenesis } from "../../../src/formats/genesis.ts";
import { SlotClock } from "../../../src/formats/slot-clock.ts";

export function testGenesis(over: Record<string, unknown> = {}): ShelleyGenesis {
  return parseShelleyGenesis(
    Buffer.from(
      JSON.stringify({
        systemStart: "2026-01-01T00:00:00Z",
        networkMagic: 42,
        networkId: "Testnet",
        activeSlotsCoeff: 0.05,
        securityParam: 2160,
        epochLength: 432000,
        slotLength: 1,
        slotsPerKESPeriod: 129600,
        maxKESEvolutions: 62,
        ...over,
      }),
    ),
    "test-genesis.json",
  );
}

export const testClock = (over: Record<string, unknown> = {}) => new SlotClock(testGenesis(over));
