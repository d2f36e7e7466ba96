// What the operator knows about the preset networks without reading their files: the Shelley genesis parameters
// that place KES periods in time, the bootstrap peers and the ledger-peers slot of cardano-node's published
// topology. A custom network brings its own shelley-genesis.json in its ConfigMap (api/common.ts `network`).
//
// Sources (values copied, checked against the genesis files in test/fixtures/genesis by test/operator/networks.test.ts):
// - genesis: IntersectMBO/cardano-node configuration/cardano/mainnet-shelley-genesis.json (commit 59af1b6d) and
//   blinklabs-io/dingo config/cardano/{preprod,preview}/shelley-genesis.json (commit bc507566), as collected in
//   ../shared/vectors/genesis (SOURCES.md there).
// - bootstrap peers and useLedgerAfterSlot: IntersectMBO/cardano-node configuration/cardano/mainnet-topology.json
//   (commit 02be8220); input-output-hk/cardano-playground docs/environments/preprod/topology.json (commit d1c42e43)
//   and docs/environments/preview/topology.json (commit 304ad28e).
import { parseShelleyGenesis, type ShelleyGenesis } from "../formats/genesis.ts";
import { SlotClock } from "../formats/slot-clock.ts";
import type { AccessPoint } from "../formats/topology.ts";
import type { PRESET_NETWORKS } from "../api/common.ts";

export type PresetNetwork = (typeof PRESET_NETWORKS)[number];

interface PresetFacts {
  /** The Shelley genesis fields SlotClock and the KES window need, exactly as the files say. */
  readonly genesis: {
    readonly systemStart: string;
    readonly networkMagic: number;
    readonly networkId: "Mainnet" | "Testnet";
    readonly activeSlotsCoeff: number;
    readonly securityParam: number;
    readonly epochLength: number;
    readonly slotLength: number;
    readonly slotsPerKESPeriod: number;
    readonly maxKESEvolutions: number;
  };
  readonly bootstrapPeers: readonly AccessPoint[];
  readonly useLedgerAfterSlot: number;
}

export const PRESETS: Record<PresetNetwork, PresetFacts> = {
  mainnet: {
    genesis: {
      systemStart: "2017-09-23T21:44:51Z",
      networkMagic: 764824073,
      networkId: "Mainnet",
      activeSlotsCoeff: 0.05,
      securityParam: 2160,
      epochLength: 432000,
      slotLength: 1,
      slotsPerKESPeriod: 129600,
      maxKESEvolutions: 62,
    },
    bootstrapPeers: [
      { address: "backbone.cardano.iog.io", port: 3001 },
      { address: "backbone.mainnet.cardanofoundation.org", port: 3001 },
      { address: "backbone.mainnet.emurgornd.com", port: 3001 },
    ],
    useLedgerAfterSlot: 171244716,
  },
  preprod: {
    genesis: {
      systemStart: "2022-06-01T00:00:00Z",
      networkMagic: 1,
      networkId: "Testnet",
      activeSlotsCoeff: 0.05,
      securityParam: 2160,
      epochLength: 432000,
      slotLength: 1,
      slotsPerKESPeriod: 129600,
      maxKESEvolutions: 62,
    },
    bootstrapPeers: [{ address: "preprod-node.play.dev.cardano.org", port: 3001 }],
    useLedgerAfterSlot: 52358331,
  },
  preview: {
    genesis: {
      systemStart: "2022-10-25T00:00:00Z",
      networkMagic: 2,
      networkId: "Testnet",
      activeSlotsCoeff: 0.05,
      securityParam: 432,
      epochLength: 86400,
      slotLength: 1,
      slotsPerKESPeriod: 129600,
      maxKESEvolutions: 62,
    },
    bootstrapPeers: [{ address: "preview-node.play.dev.cardano.org", port: 3001 }],
    useLedgerAfterSlot: 41385503,
  },
};

export function presetGenesis(network: PresetNetwork): ShelleyGenesis {
  return parseShelleyGenesis(Buffer.from(JSON.stringify(PRESETS[network].genesis)), `preset network ${network}`);
}

/**
 * The slot clock of a network: a preset's from the facts above (with its Byron prefix, known by magic), a custom
 * network's from the shelley-genesis.json text in its ConfigMap. Throws InputError naming `where` on a bad file.
 */
export function networkClock(
  network: { name: PresetNetwork | "custom" },
  customGenesis?: { text: string; where: string },
): SlotClock {
  if (network.name !== "custom") return new SlotClock(presetGenesis(network.name));
  if (!customGenesis) throw new Error("a custom network's clock needs its shelley-genesis.json");
  return new SlotClock(parseShelleyGenesis(Buffer.from(customGenesis.text, "utf8"), customGenesis.where));
}

/** The key in a custom network's ConfigMap that holds the Shelley genesis. */
export const SHELLEY_GENESIS_KEY = "shelley-genesis.json";
