// The Praos rules of a network, from its Shelley genesis (and the Conway hard-fork epoch config.json may set):
// what header validation needs, for the node and for the CLI's database check alike.
import { activeSlotCoeff } from "../crypto/leader.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import { SlotClock } from "../formats/slot-clock.ts";
import type { ChainRules } from "./chain-state.ts";

/** The highest protocol major version headers may carry (Conway). */
export const MAX_MAJOR_PROTOCOL_VERSION = 10;

export function praosRules(genesis: ShelleyGenesis, conwayFromEpoch = 0, clock = new SlotClock(genesis)): ChainRules {
  return {
    params: {
      slotsPerKESPeriod: genesis.slotsPerKESPeriod,
      maxKESEvolutions: genesis.maxKESEvolutions,
      activeSlotCoeff: activeSlotCoeff(genesis.activeSlotsCoeff),
      maxMajorProtocolVersion: MAX_MAJOR_PROTOCOL_VERSION,
    },
    clock,
    securityParam: genesis.securityParam,
    conwayFromEpoch,
  };
}
