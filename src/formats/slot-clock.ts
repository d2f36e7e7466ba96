// Slots, epochs, KES periods and wall-clock time for a network described by its Shelley genesis.
// Mainnet and preprod began with Byron (20 s slots, 10k-slot epochs) before Shelley; slot numbers count from
// the Byron start, so the Byron prefix must be known to convert time to slots. It is known here by network
// magic; any other network (preview, devnets) is Shelley from slot 0.
import type { ShelleyGenesis } from "./genesis.ts";

export interface ByronPrefix {
  readonly slots: number;
  readonly slotLengthMs: number;
  readonly epochLength: number;
}

const KNOWN_BYRON_PREFIXES = new Map<number, ByronPrefix>([
  [764824073, { slots: 4492800, slotLengthMs: 20000, epochLength: 21600 }], // mainnet: Shelley from epoch 208
  [1, { slots: 86400, slotLengthMs: 20000, epochLength: 21600 }], // preprod: Shelley from epoch 4
]);

export function byronPrefixOf(networkMagic: number): ByronPrefix {
  return KNOWN_BYRON_PREFIXES.get(networkMagic) ?? { slots: 0, slotLengthMs: 20000, epochLength: 21600 };
}

export class SlotClock {
  readonly genesis: ShelleyGenesis;
  readonly byron: ByronPrefix;
  readonly shelleyStartMs: number;
  readonly shelleyStartEpoch: number;

  constructor(genesis: ShelleyGenesis, byron: ByronPrefix = byronPrefixOf(genesis.networkMagic)) {
    this.genesis = genesis;
    this.byron = byron;
    this.shelleyStartMs = genesis.systemStart.getTime() + byron.slots * byron.slotLengthMs;
    this.shelleyStartEpoch = byron.slots / byron.epochLength;
  }

  /** The slot in progress at `timeMs` (ms since the Unix epoch); before the chain starts, slot 0. */
  slotAt(timeMs: number): number {
    const start = this.genesis.systemStart.getTime();
    if (timeMs < start) return 0;
    if (timeMs < this.shelleyStartMs) return Math.floor((timeMs - start) / this.byron.slotLengthMs);
    return this.byron.slots + Math.floor((timeMs - this.shelleyStartMs) / this.genesis.slotLengthMs);
  }

  /** The wall-clock start of `slot`, in ms since the Unix epoch. */
  timeOfSlot(slot: number): number {
    if (slot < this.byron.slots) return this.genesis.systemStart.getTime() + slot * this.byron.slotLengthMs;
    return this.shelleyStartMs + (slot - this.byron.slots) * this.genesis.slotLengthMs;
  }

  epochOfSlot(slot: number): number {
    if (slot < this.byron.slots) return Math.floor(slot / this.byron.epochLength);
    return this.shelleyStartEpoch + Math.floor((slot - this.byron.slots) / this.genesis.epochLength);
  }

  firstSlotOfEpoch(epoch: number): number {
    if (epoch < this.shelleyStartEpoch) return epoch * this.byron.epochLength;
    return this.byron.slots + (epoch - this.shelleyStartEpoch) * this.genesis.epochLength;
  }

  /** KES period of a slot: absolute slot / slotsPerKESPeriod (absolute: counted from the Byron start). */
  kesPeriodOfSlot(slot: number): number {
    return Math.floor(slot / this.genesis.slotsPerKESPeriod);
  }

  /** Wall-clock start of a KES period. */
  timeOfKesPeriod(period: number): number {
    return this.timeOfSlot(period * this.genesis.slotsPerKESPeriod);
  }
}
