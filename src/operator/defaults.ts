// What the operator fills in when a spec leaves resources or storage unset: sized per network, from what
// cardano-node needs (mainnet: about 24 GiB of memory and a few hundred GB of chain database in 2026).
import type { PRESET_NETWORKS } from "../api/common.ts";

type NetworkName = (typeof PRESET_NETWORKS)[number] | "custom";

export interface ResourceDefaults {
  requests: { cpu: string; memory: string };
  limits: { memory: string };
}

const RESOURCES: Record<NetworkName, ResourceDefaults> = {
  mainnet: { requests: { cpu: "2", memory: "24Gi" }, limits: { memory: "28Gi" } },
  preprod: { requests: { cpu: "1", memory: "6Gi" }, limits: { memory: "8Gi" } },
  preview: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "6Gi" } },
  custom: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
};

const STORAGE: Record<NetworkName, string> = {
  mainnet: "400Gi",
  preprod: "80Gi",
  preview: "40Gi",
  custom: "10Gi",
};

export function defaultResources(network: NetworkName): ResourceDefaults {
  return structuredClone(RESOURCES[network]);
}

export function defaultStorageSize(network: NetworkName): string {
  return STORAGE[network];
}
