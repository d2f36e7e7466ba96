// The four poolfleet.io kinds: names, schemas, whole-object rules and the columns `kubectl get` shows.
import type { KindDefinition, PrinterColumn } from "./crd.ts";
import { kesRotationSpec, kesRotationStatus } from "./kesrotation.ts";
import { multikeyGroupSpec, multikeyGroupStatus } from "./multikeygroup.ts";
import { relaySpec, relayStatus } from "./relay.ts";
import { stakePoolSpec, stakePoolStatus } from "./stakepool.ts";

/** Names the operator derives (`<name>-producer-0`, `<name>-relay-<n>`, ...) must stay within 63 characters. */
export const MAX_NAME = 40;

const nameRule = (kind: string) => ({
  rule: `size(self.metadata.name) <= ${MAX_NAME}`,
  message: `${kind} names are at most ${MAX_NAME} characters: the operator derives StatefulSet, Service and pod names from them`,
});

const age: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};
const phase: PrinterColumn = {
  name: "Phase",
  type: "string",
  jsonPath: ".status.phase",
  description: "One-word summary of the state.",
};
const networkColumn: PrinterColumn = {
  name: "Network",
  type: "string",
  jsonPath: ".spec.network.name",
  description: "The Cardano network.",
};
const tipColumn: PrinterColumn = {
  name: "Tip",
  type: "integer",
  jsonPath: ".status.tip.slot",
  description: "Slot of the chain tip.",
};

export const STAKE_POOL: KindDefinition = {
  kind: "StakePool",
  plural: "stakepools",
  singular: "stakepool",
  shortNames: ["sp"],
  description:
    "A stake pool's block producer: one forging node with the pool's hot keys, reachable only through its relays.",
  spec: stakePoolSpec,
  status: stakePoolStatus,
  rootRules: [nameRule("StakePool")],
  printerColumns: [
    networkColumn,
    phase,
    tipColumn,
    { name: "KES Left", type: "integer", jsonPath: ".status.kes.periodsLeft", description: "KES periods left." },
    {
      name: "Blocks",
      type: "integer",
      jsonPath: ".status.blocksForged",
      description: "Blocks forged since the producer started.",
    },
    { name: "Pool", type: "string", jsonPath: ".status.poolId", description: "Pool id.", priority: 1 },
    age,
  ],
};

export const RELAY: KindDefinition = {
  kind: "Relay",
  plural: "relays",
  singular: "relay",
  shortNames: ["rly"],
  description: "A set of relay nodes: the pool's face to the network and its producer's only peers.",
  spec: relaySpec,
  status: relayStatus,
  rootRules: [nameRule("Relay")],
  printerColumns: [
    networkColumn,
    { name: "Desired", type: "integer", jsonPath: ".spec.replicas", description: "Relays wanted." },
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas", description: "Relays ready." },
    { name: "Service", type: "string", jsonPath: ".spec.service.type", description: "How the relays are exposed." },
    phase,
    tipColumn,
    { name: "Pool", type: "string", jsonPath: ".spec.poolRef.name", description: "The pool served.", priority: 1 },
    age,
  ],
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".status.selector",
  },
};

export const KES_ROTATION: KindDefinition = {
  kind: "KesRotation",
  plural: "kesrotations",
  singular: "kesrotation",
  shortNames: ["kesr"],
  description:
    "Keeps a pool's KES key and operational certificate renewed ahead of expiry: reminders, an opcert request " +
    "signed offline (Assisted) or by an opted-in in-cluster cold key (Auto), and the consistency gate before use.",
  spec: kesRotationSpec,
  status: kesRotationStatus,
  printerColumns: [
    {
      name: "Pool",
      type: "string",
      jsonPath: ".status.pool",
      description: "The pool: a StakePool, or <group>/<pool> for a pool in a MultikeyGroup.",
    },
    { name: "Mode", type: "string", jsonPath: ".spec.mode", description: "Rotation mode." },
    phase,
    { name: "KES Left", type: "integer", jsonPath: ".status.periodsLeft", description: "KES periods left." },
    { name: "Expires", type: "date", jsonPath: ".status.expiresAt", description: "When the KES key expires." },
    {
      name: "Renewal",
      type: "date",
      jsonPath: ".status.renewalTime",
      description: "When renewal starts.",
      priority: 1,
    },
    age,
  ],
};

export const MULTIKEY_GROUP: KindDefinition = {
  kind: "MultikeyGroup",
  plural: "multikeygroups",
  singular: "multikeygroup",
  shortNames: ["mkg"],
  description:
    "Several pools forging from one shared block producer, each with its own keys, behind one set of relays; " +
    "optionally a backup of a main group that takes over one pool at a time.",
  spec: multikeyGroupSpec,
  status: multikeyGroupStatus,
  rootRules: [
    nameRule("MultikeyGroup"),
    {
      rule:
        "!has(self.spec.redundancy) || !has(self.spec.redundancy.mainGroupRef) || " +
        "self.spec.redundancy.mainGroupRef.name != self.metadata.name",
      message: "a MultikeyGroup cannot be its own backup: redundancy.mainGroupRef must name another group",
    },
  ],
  printerColumns: [
    networkColumn,
    { name: "Pools", type: "integer", jsonPath: ".status.poolCount", description: "Pools in the group." },
    { name: "Forging", type: "integer", jsonPath: ".status.forgingPools", description: "Pools forging." },
    { name: "Role", type: "string", jsonPath: ".status.role", description: "Main or Backup." },
    phase,
    tipColumn,
    age,
  ],
};

export const KINDS: readonly KindDefinition[] = [STAKE_POOL, RELAY, KES_ROTATION, MULTIKEY_GROUP];
