// Good and bad specs for the admission tests: one readable example of each kind, and a table of specs the API
// server must refuse, each with the part of its message a person would read.

export interface KindRef {
  kind: string;
  plural: string;
}

export const KINDS_BY_NAME = {
  StakePool: { kind: "StakePool", plural: "stakepools" },
  Relay: { kind: "Relay", plural: "relays" },
  KesRotation: { kind: "KesRotation", plural: "kesrotations" },
  MultikeyGroup: { kind: "MultikeyGroup", plural: "multikeygroups" },
} as const satisfies Record<string, KindRef>;

export type KindName = keyof typeof KINDS_BY_NAME;

type Spec = Record<string, unknown>;

export const GOOD: Record<KindName, Spec> = {
  StakePool: {
    network: { name: "preprod" },
    keys: { secretRef: { name: "pool-a-keys" }, coldVerificationKeyRef: { name: "pool-a-public" } },
    resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "6Gi" } },
    metrics: {
      scrapeFrom: {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["prometheus"] }] },
      },
    },
  },
  Relay: {
    network: { name: "preprod" },
    poolRef: { name: "pool-a" },
    replicas: 2,
    service: { type: "NodePort", nodePorts: [30001, 30002] },
    publicPeers: [{ address: "preprod-node.play.dev.cardano.org" }],
  },
  KesRotation: {
    poolRef: { name: "pool-a" },
  },
  MultikeyGroup: {
    network: { name: "custom", configMapRef: { name: "devnet-files" } },
    pools: [
      { name: "alpha", keys: { secretRef: { name: "alpha-keys" } } },
      { name: "beta", keys: { secretRef: { name: "beta-keys" } } },
    ],
    redundancy: { level: 1, mainGroupRef: { name: "main" } },
  },
};

export interface BadCase {
  why: string;
  kind: KindName;
  name?: string;
  spec: Spec;
  /** Substrings the API server's message must contain. */
  message: string[];
}

const pool = (patch: Spec): Spec => ({ ...GOOD.StakePool, ...patch });
const relay = (patch: Spec): Spec => ({ ...GOOD.Relay, ...patch });
const kes = (patch: Spec): Spec => ({ ...GOOD.KesRotation, ...patch });
const group = (patch: Spec): Spec => ({ ...GOOD.MultikeyGroup, ...patch });
const keys = (name: string) => ({ secretRef: { name } });

export const BAD: BadCase[] = [
  // network selection (shared by all producer and relay kinds)
  {
    why: "custom network without its ConfigMap",
    kind: "StakePool",
    spec: pool({ network: { name: "custom" } }),
    message: ["spec.network.configMapRef", "a custom network requires configMapRef"],
  },
  {
    why: "preset network with a ConfigMap",
    kind: "Relay",
    spec: relay({ network: { name: "mainnet", configMapRef: { name: "files" } } }),
    message: ["spec.network.configMapRef", "configMapRef is only for a custom network"],
  },
  {
    why: "unknown network",
    kind: "StakePool",
    spec: pool({ network: { name: "testnet" } }),
    message: ["spec.network.name", 'Unsupported value: "testnet"', '"preprod"'],
  },
  // StakePool
  {
    why: "no keys",
    kind: "StakePool",
    spec: { network: { name: "preprod" } },
    message: ["spec.keys", "Required value"],
  },
  {
    why: "relays given twice",
    kind: "StakePool",
    spec: pool({ relays: { replicas: 2, relayRef: { name: "r" } } }),
    message: ["spec.relays", "relays needs exactly one of replicas"],
  },
  {
    why: "relays given not at all",
    kind: "StakePool",
    spec: pool({ relays: {} }),
    message: ["spec.relays", "relays needs exactly one of replicas"],
  },
  {
    why: "zero relays",
    kind: "StakePool",
    spec: pool({ relays: { replicas: 0 } }),
    message: ["spec.relays.replicas", "greater than or equal to 1"],
  },
  {
    why: "pool id that is neither bech32 nor hex",
    kind: "StakePool",
    spec: pool({ poolId: "pool1notreally" }),
    message: ["spec.poolId", "should match"],
  },
  {
    why: "memory limit below the request",
    kind: "StakePool",
    spec: pool({ resources: { requests: { memory: "8Gi" }, limits: { memory: "4Gi" } } }),
    message: ["spec.resources.limits.memory", "resources.limits.memory must not be below resources.requests.memory"],
  },
  {
    why: "a quantity that is not one",
    kind: "StakePool",
    spec: pool({ resources: { requests: { cpu: "lots" } } }),
    message: ["spec.resources.requests.cpu", "should match"],
  },
  {
    why: "metrics scrapeFrom with no selector",
    kind: "StakePool",
    spec: pool({ metrics: { scrapeFrom: {} } }),
    message: ["spec.metrics.scrapeFrom", "metrics.scrapeFrom needs a namespaceSelector, a podSelector or both"],
  },
  {
    why: "In without values",
    kind: "StakePool",
    spec: pool({ metrics: { scrapeFrom: { podSelector: { matchExpressions: [{ key: "app", operator: "In" }] } } } }),
    message: ["matchExpressions[0]", "operators In and NotIn need values"],
  },
  {
    why: "a privileged port",
    kind: "StakePool",
    spec: pool({ port: 80 }),
    message: ["spec.port", "greater than or equal to 1024"],
  },
  {
    why: "a name too long for derived object names",
    kind: "StakePool",
    name: "a-stake-pool-name-that-is-far-too-long-for-us",
    spec: pool({}),
    message: ["StakePool names are at most 40 characters"],
  },
  // Relay
  {
    why: "node ports on a ClusterIP service",
    kind: "Relay",
    spec: relay({ service: { type: "ClusterIP", nodePorts: [30001, 30002] } }),
    message: ["spec.service.nodePorts", "service.nodePorts is only for service type NodePort"],
  },
  {
    why: "fewer node ports than relays",
    kind: "Relay",
    spec: relay({ replicas: 3 }),
    message: ["spec.service.nodePorts", "service.nodePorts needs exactly one port per replica"],
  },
  {
    why: "the same node port twice",
    kind: "Relay",
    spec: relay({ service: { type: "NodePort", nodePorts: [30001, 30001] } }),
    message: ["spec.service.nodePorts", "service.nodePorts must be distinct"],
  },
  {
    why: "load-balancer ranges on a NodePort service",
    kind: "Relay",
    spec: relay({ service: { type: "NodePort", nodePorts: [30001, 30002], loadBalancerSourceRanges: ["10.0.0.0/8"] } }),
    message: ["spec.service.loadBalancerSourceRanges", "only for service type LoadBalancer"],
  },
  {
    why: "a node port outside the node-port range",
    kind: "Relay",
    spec: relay({ service: { type: "NodePort", nodePorts: [3001, 30002] } }),
    message: ["spec.service.nodePorts[0]", "greater than or equal to 30000"],
  },
  {
    why: "a peer port that does not exist",
    kind: "Relay",
    spec: relay({ publicPeers: [{ address: "relay.example.org", port: 70000 }] }),
    message: ["spec.publicPeers[0].port", "less than or equal to 65535"],
  },
  {
    why: "an unknown service type",
    kind: "Relay",
    spec: relay({ service: { type: "External" } }),
    message: ["spec.service.type", 'Unsupported value: "External"'],
  },
  // KesRotation
  {
    why: "Auto with no cold key settings",
    kind: "KesRotation",
    spec: kes({ mode: "Auto" }),
    message: ["spec.auto", "Auto mode requires auto.coldKeySecretRef and auto.acknowledgeColdKeyInCluster"],
  },
  {
    why: "Auto without the acknowledgement",
    kind: "KesRotation",
    spec: kes({ mode: "Auto", auto: { coldKeySecretRef: { name: "cold" } } }),
    message: ["spec.auto.acknowledgeColdKeyInCluster", "set auto.acknowledgeColdKeyInCluster to true"],
  },
  {
    why: "Auto with the acknowledgement but no cold key",
    kind: "KesRotation",
    spec: kes({ mode: "Auto", auto: { acknowledgeColdKeyInCluster: true } }),
    message: ["spec.auto.coldKeySecretRef", "Required value"],
  },
  {
    why: "cold key settings in Assisted mode",
    kind: "KesRotation",
    spec: kes({ mode: "Assisted", auto: { coldKeySecretRef: { name: "cold" }, acknowledgeColdKeyInCluster: true } }),
    message: ["spec.auto", "auto is only for mode Auto"],
  },
  {
    why: "renewBefore longer than a KES key lives",
    kind: "KesRotation",
    spec: kes({ renewBefore: 62 }),
    message: ["spec.renewBefore", "renewBefore as KES periods must be between 1 and 61"],
  },
  {
    why: "renewBefore in weeks",
    kind: "KesRotation",
    spec: kes({ renewBefore: "2w" }),
    message: ["spec.renewBefore", "should match"],
  },
  {
    why: "renewBefore of zero",
    kind: "KesRotation",
    spec: kes({ renewBefore: "0d" }),
    message: ["spec.renewBefore", "renewBefore must be longer than zero"],
  },
  {
    why: "the same reminder twice",
    kind: "KesRotation",
    spec: kes({ reminderDays: [7, 7] }),
    message: ["spec.reminderDays[1]", "Duplicate value"],
  },
  {
    why: "an unknown mode",
    kind: "KesRotation",
    spec: kes({ mode: "Manual" }),
    message: ["spec.mode", 'Unsupported value: "Manual"', '"Assisted"'],
  },
  // MultikeyGroup
  {
    why: "a group with no pools",
    kind: "MultikeyGroup",
    spec: group({ pools: [] }),
    message: ["spec.pools", "at least 1 items"],
  },
  {
    why: "two pools sharing one keys Secret",
    kind: "MultikeyGroup",
    spec: group({
      pools: [
        { name: "alpha", keys: keys("shared") },
        { name: "beta", keys: keys("shared") },
      ],
    }),
    message: ["spec.pools", "each pool in a group needs its own keys Secret"],
  },
  {
    why: "two pools with one name",
    kind: "MultikeyGroup",
    spec: group({
      pools: [
        { name: "alpha", keys: keys("a") },
        { name: "alpha", keys: keys("b") },
      ],
    }),
    message: ["spec.pools[1]", "Duplicate value"],
  },
  {
    why: "33 pools, one more than seeds/002's cap",
    kind: "MultikeyGroup",
    spec: group({ pools: Array.from({ length: 33 }, (_, i) => ({ name: `p${i}`, keys: keys(`k${i}`) })) }),
    message: ["spec.pools", "at most 32 pools", "seeds/002"],
  },
  {
    why: "a group backing itself up",
    kind: "MultikeyGroup",
    name: "self-backup",
    spec: group({ redundancy: { level: 1, mainGroupRef: { name: "self-backup" } } }),
    message: ["a MultikeyGroup cannot be its own backup"],
  },
  {
    why: "a backup level without its main group",
    kind: "MultikeyGroup",
    spec: group({ redundancy: { level: 1 } }),
    message: ["spec.redundancy", "mainGroupRef", "required when level > 0"],
  },
  {
    why: "a main group naming a main group",
    kind: "MultikeyGroup",
    spec: group({ redundancy: { level: 0, mainGroupRef: { name: "other" } } }),
    message: ["spec.redundancy", "and only then"],
  },
  {
    why: "a takeover after zero missed slots",
    kind: "MultikeyGroup",
    spec: group({ redundancy: { level: 1, mainGroupRef: { name: "main" }, takeoverAfterMissedSlots: 0 } }),
    message: ["spec.redundancy.takeoverAfterMissedSlots", "greater than or equal to 1"],
  },
];
