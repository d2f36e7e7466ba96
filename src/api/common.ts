// Building blocks shared by the four poolfleet.io kinds: references, network selection, image, resources,
// storage, label selectors, metrics scraping and status conditions. Every field carries a description, because
// the descriptions become the CRD's documentation (`kubectl explain`).
import { z } from "zod";

export const GROUP = "poolfleet.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** One CEL rule as the API server takes it (`x-kubernetes-validations` item). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

/** Attaches CEL rules to a schema; they are copied into the CRD as `x-kubernetes-validations`. */
export function cel<T extends z.ZodType>(schema: T, ...rules: CelRule[]): T {
  return schema.meta({ "x-kubernetes-validations": rules }) as T;
}

/** Marks a string|integer union as `x-kubernetes-int-or-string` (a Kubernetes quantity or a period count). */
export function intOrString<T extends z.ZodType>(schema: T): T {
  return schema.meta({ "x-kubernetes-int-or-string": true }) as T;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(DNS_SUBDOMAIN)
  .describe("Name of an object in the same namespace (a DNS subdomain: lower case letters, digits, '-' and '.').");

export const localRef = (what: string) =>
  z.object({ name: objectName.describe(`Name of the ${what} in the same namespace.`) }).describe(`A ${what}.`);

export const secretKeyRef = (what: string, defaultKey: string) =>
  z
    .object({
      name: objectName.describe(`Name of the Secret holding ${what}, in the same namespace.`),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[-._a-zA-Z0-9]+$/)
        .default(defaultKey)
        .describe(`Key in the Secret's data that holds ${what}.`),
    })
    .describe(`A key in a Secret holding ${what}.`);

export const PRESET_NETWORKS = ["mainnet", "preprod", "preview"] as const;

export const network = cel(
  z
    .object({
      name: z
        .enum([...PRESET_NETWORKS, "custom"])
        .describe(
          "The Cardano network: a preset (mainnet, preprod, preview), whose configuration and genesis files ship " +
            "with the node image, or custom, read from configMapRef.",
        ),
      configMapRef: localRef("ConfigMap")
        .describe(
          "For a custom network only: a ConfigMap holding config.json, byron-genesis.json, shelley-genesis.json, " +
            "alonzo-genesis.json and conway-genesis.json. The network magic is read from shelley-genesis.json.",
        )
        .optional(),
    })
    .describe("Which Cardano network the nodes join. Immutable: a node database belongs to one network."),
  {
    rule: "self.name != 'custom' || has(self.configMapRef)",
    message: "a custom network requires configMapRef: a ConfigMap with config.json and the genesis files",
    fieldPath: ".configMapRef",
    reason: "FieldValueRequired",
  },
  {
    rule: "self.name == 'custom' || !has(self.configMapRef)",
    message:
      "configMapRef is only for a custom network; preset networks (mainnet, preprod, preview) bring their own files",
    fieldPath: ".configMapRef",
    reason: "FieldValueForbidden",
  },
  { rule: "self == oldSelf", message: "network is immutable: a node database belongs to one network" },
);

export const DEFAULT_IMAGE = "poolfleet/poolfleet-node:0.1.0";

export const image = z
  .object({
    repository: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\s:@]+(:[0-9]+)?(\/[^\s:@]+)*$/)
      .default("poolfleet/poolfleet-node")
      .describe("Image repository of the node runtime, without tag or digest."),
    tag: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/)
      .default("0.1.0")
      .describe("Image tag. Ignored when digest is set."),
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .describe("Image digest (sha256:...); pins the image exactly and wins over tag.")
      .optional(),
    pullPolicy: z
      .enum(["Always", "IfNotPresent", "Never"])
      .default("IfNotPresent")
      .describe("When the kubelet pulls the image."),
  })
  .describe("The node runtime image (poolfleet-node; cardano-node's command line).");

const QUANTITY =
  /^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

export const quantity = (what: string) =>
  intOrString(z.union([z.int().min(0), z.string().max(64).regex(QUANTITY)])).describe(
    `${what}, as a Kubernetes quantity (for example 2, 500m, 8Gi).`,
  );

const resourceList = (what: string) =>
  z
    .object({
      cpu: quantity(`CPU ${what}`).optional(),
      memory: quantity(`Memory ${what}`).optional(),
    })
    .describe(`Resource ${what}.`);

const limitNotBelowRequest = (r: "cpu" | "memory"): CelRule => ({
  rule:
    `!has(self.requests) || !has(self.limits) || !has(self.requests.${r}) || !has(self.limits.${r}) || ` +
    `quantity(string(self.limits.${r})).compareTo(quantity(string(self.requests.${r}))) >= 0`,
  message: `resources.limits.${r} must not be below resources.requests.${r}`,
  fieldPath: `.limits.${r}`,
});

export const resources = cel(
  z
    .object({
      requests: resourceList("requests: what the scheduler reserves").optional(),
      limits: resourceList("limits: the most the container may use").optional(),
    })
    .describe(
      "Compute resources of the node container. Unset fields get network-dependent defaults from the operator " +
        "(a mainnet node needs about 24Gi of memory).",
    ),
  limitNotBelowRequest("cpu"),
  limitNotBelowRequest("memory"),
);

export const storage = z
  .object({
    size: quantity(
      "Size of the persistent volume for the chain database; unset means a network-dependent default",
    ).optional(),
    storageClassName: z
      .string()
      .min(1)
      .max(253)
      .describe("StorageClass of the volume claim; unset means the cluster's default class.")
      .optional(),
  })
  .describe("Persistent storage for the chain database (one volume claim per pod).");

const labelKey = z
  .string()
  .min(1)
  .max(317)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
  )
  .describe("A label key.");

export const labelSelector = (what: string) =>
  z
    .object({
      matchLabels: z
        .record(labelKey, z.string().max(63).describe("Label value."))
        .describe("Labels that must all match exactly.")
        .optional(),
      matchExpressions: z
        .array(
          cel(
            z
              .object({
                key: labelKey,
                operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]).describe("How key relates to values."),
                values: z
                  .array(z.string().max(63).describe("A label value."))
                  .max(64)
                  .describe("Values for In and NotIn; empty for Exists and DoesNotExist.")
                  .optional(),
              })
              .describe("One label requirement."),
            {
              rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
              message: "operators In and NotIn need values; Exists and DoesNotExist take none",
            },
          ),
        )
        .max(16)
        .describe("Label requirements that must all hold.")
        .optional(),
    })
    .describe(`A label selector (as in Kubernetes) for ${what}; an empty selector matches all.`);

export const metrics = cel(
  z
    .object({
      port: z.int().min(1024).max(65535).default(12798).describe("Port of the node's Prometheus /metrics endpoint."),
      scrapeFrom: z
        .object({
          namespaceSelector: labelSelector("the namespaces the scraper runs in").optional(),
          podSelector: labelSelector("the scraper's pods").optional(),
        })
        .describe(
          "Who may scrape metrics: the NetworkPolicy admits pods matching podSelector in namespaces matching " +
            "namespaceSelector (both given: both must match). Unset: nobody outside the pool may scrape.",
        )
        .optional(),
    })
    .describe("Prometheus metrics of the nodes and who may scrape them."),
  {
    rule: "!has(self.scrapeFrom) || has(self.scrapeFrom.namespaceSelector) || has(self.scrapeFrom.podSelector)",
    message: "metrics.scrapeFrom needs a namespaceSelector, a podSelector or both",
    fieldPath: ".scrapeFrom",
  },
);

export const nodePort = z.int().min(1024).max(65535).default(3001).describe("Node-to-node (Ouroboros) port.");

/** The fields every kind that runs poolfleet-node pods shares: image, node-to-node port, resources, storage, metrics. */
/** When a drain may take a producer (a StakePool's, or a MultikeyGroup's, which leads the slots of all its pools). */
export const disruption = z
  .object({
    leaderSlotMarginMinutes: z
      .int()
      .min(1)
      .max(1440)
      .default(10)
      .describe(
        "A drain may evict the producer only while it leads no slot within this many minutes: the operator " +
          "opens the producer's PodDisruptionBudget (minAvailable 0) then, and closes it (minAvailable 1) " +
          "before the next leader slot and whenever the producer's schedule cannot be read.",
      ),
  })
  .default({ leaderSlotMarginMinutes: 10 })
  .describe("When voluntary evictions (kubectl drain) may take the producer.");

export const nodeRuntimeFields = {
  image: image.default({ repository: "poolfleet/poolfleet-node", tag: "0.1.0", pullPolicy: "IfNotPresent" }),
  port: nodePort,
  resources: resources.optional(),
  storage: storage.default({}),
  metrics: metrics.default({ port: 12798 }),
};

// ---- status ---------------------------------------------------------------------------------------------------

/** metav1.Condition, as controller-gen emits it. */
export const condition = z
  .object({
    type: z
      .string()
      .max(316)
      .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      )
      .describe("Condition type in CamelCase, for example Ready."),
    status: z.enum(["True", "False", "Unknown"]).describe("Whether the condition holds."),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe("One CamelCase word saying why, for kubectl get."),
    message: z.string().max(32768).describe("A sentence for people, for kubectl describe."),
    observedGeneration: z.int().min(0).describe("The .metadata.generation the condition was computed from.").optional(),
    lastTransitionTime: z.iso
      .datetime()
      .describe("When status last changed (not when the condition was last written)."),
  })
  .describe("A status condition (Kubernetes conventions).");

export const conditions = z
  .array(condition)
  .max(16)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
  .describe("Conditions of the object, one per type.");

export const observedGeneration = z.int().min(0).describe("The .metadata.generation the operator last acted on.");

export const tip = z
  .object({
    slot: z.int().min(0).describe("Slot of the tip block."),
    blockNo: z.int().min(0).describe("Block number of the tip block.").optional(),
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe("Header hash of the tip block, hex.")
      .optional(),
  })
  .describe("The chain tip a node reports.");
