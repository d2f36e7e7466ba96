// MultikeyGroup -> the group's producer: one StatefulSet (one replica: one forger per pool), its headless Service
// and PodDisruptionBudget, the same pod as a StakePool's producer (node-pod.ts) but holding a key bundle, and the
// bundle Secret it mounts. Pure.
//
// The bundle (poolfleet-node --shelley-key-bundle, docs/multikey.md) is one Secret, `<group>-producer-keys`,
// mounted read-only (mode 0400) at /keys with each pool's three files at `<pool name>/kes.skey`, `vrf.skey`,
// `node.cert`. Its contents are copies of the pools' immutable revision Secrets (keys/revision.ts, each made only
// after that pool's keys passed the gate), and an annotation records which revision each pool holds. A pool that
// never passed is not in it, so no pod ever sees its keys. Why one Secret and not the revisions themselves: a new
// revision of one pool (a KES rotation) then changes the Secret's contents and nothing in the pod template, so the
// kubelet swaps the mounted files in place and the node, run with --watch-keys, re-reads them as on SIGHUP: the
// group's other pools go on forging, with no restart. The template changes only when pools join or leave the
// bundle (its items), and then the producer rolls.
//
// The node names the pools `<group>-<index>`, index in sorted directory order (src/node/key-bundle.ts);
// bundleDisplayNames says which name is which pool, for status.
//
// Main and backups alike fence every pool with a Lease in the group's namespace (--pool-lease-namespace): a fence
// only one side holds means nothing. So the pod runs as the group's producer ServiceAccount (producer-rbac.ts) with
// its token mounted, the one kind of node pod that has one.
import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { MultikeyGroupSpec } from "../../api/multikeygroup.ts";
import { KEY_FILES } from "../../keys/secret-gate.ts";
import { KEYS_HASH_ANNOTATION } from "../keys/revision.ts";
import { commonLabels, names, type Owner, ownerReference } from "../names.ts";
import { nodeArgs, PATHS } from "./node-pod.ts";
import { type ProducerObjects, producerObjects } from "./producer.ts";
import { producerServiceAccountName } from "./producer-rbac.ts";

export interface BundlePool {
  /** The pool's name in the group (its sub-directory in the bundle). */
  name: string;
  /** Its revision Secret (`<group>-<pool>-keys-<hash8>`). */
  secretName: string;
  /** The revision's keysHash. */
  keysHash: string;
  /** The revision's three files (base64, as in a Secret's data): what the bundle Secret copies. */
  data: Record<string, string>;
}

export interface GroupProducerInput {
  /** The MultikeyGroup. */
  owner: Owner;
  spec: MultikeyGroupSpec;
  /** The pools whose keys the producer holds (at least one); order does not matter. */
  pools: readonly { name: string }[];
  /** Open the PodDisruptionBudget (minAvailable 0): no leader slot of any pool is near (producer-disruption.ts). */
  disruptionAllowed?: boolean;
}

const TOPOLOGY_FILE = "topology.json";

/** The pools in the node's bundle order (sorted by name, as it reads the directory). */
export function bundleOrder<T extends { name: string }>(pools: readonly T[]): T[] {
  return [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Pool name -> the display name the node gives it (`<group>-<index>`, its poolfleet_pool_* label). */
export function bundleDisplayNames(group: string, pools: readonly { name: string }[]): Map<string, string> {
  return new Map(bundleOrder(pools).map((p, i) => [p.name, `${group}-${i}`]));
}

/**
 * One digest of which pools the bundle holds, for the pod annotation `kubectl describe` shows. Pools only, not
 * their revisions: a re-keyed pool must not roll the producer (the node re-reads its files in place).
 */
export function bundleHash(pools: readonly { name: string }[]): string {
  const h = createHash("sha256").update("poolfleet-bundle-v2\n");
  for (const p of bundleOrder(pools)) h.update(`${p.name}\n`);
  return h.digest("hex");
}

/** On the bundle Secret: JSON, pool name -> the revision it holds ({ revision, keysHash }). */
export const BUNDLE_REVISIONS_ANNOTATION = "poolfleet.io/bundle-revisions";
/** How often the group's node checks its mounted key files for a change (--watch-keys, seconds). */
export const WATCH_KEYS_SECONDS = 5;

export const bundleSecretName = (group: string) => `${names.producer(group)}-keys`;
const bundleKey = (pool: string, file: string) => `${pool}.${file}`;

/** The Secret the producer mounts: each pool's revision copied in, and which revision that is. */
export function buildBundleSecret(owner: Owner, pools: readonly BundlePool[]): V1Secret {
  const data: Record<string, string> = {};
  const held: Record<string, { revision: string; keysHash: string }> = {};
  for (const p of bundleOrder(pools)) {
    for (const f of Object.values(KEY_FILES)) {
      const value = p.data[f];
      if (value === undefined) throw new Error(`pool ${p.name}'s revision has no ${f}`);
      data[bundleKey(p.name, f)] = value;
    }
    held[p.name] = { revision: p.secretName, keysHash: p.keysHash };
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: bundleSecretName(owner.name),
      namespace: owner.namespace,
      labels: commonLabels("producer", owner.name, owner.name),
      annotations: { [BUNDLE_REVISIONS_ANNOTATION]: JSON.stringify(held) },
      ownerReferences: [ownerReference(owner)],
    },
    type: "Opaque",
    data,
  };
}

/** What a bundle Secret holds: pool name -> its revision, keysHash and files. Empty for no (or a foreign) Secret. */
export function bundleContents(secret: V1Secret | undefined): Map<string, BundlePool> {
  const out = new Map<string, BundlePool>();
  let held: Record<string, { revision?: unknown; keysHash?: unknown }>;
  try {
    held = JSON.parse(secret?.metadata?.annotations?.[BUNDLE_REVISIONS_ANNOTATION] ?? "{}");
  } catch {
    return out;
  }
  for (const [name, h] of Object.entries(held ?? {})) {
    if (typeof h?.revision !== "string" || typeof h.keysHash !== "string") continue;
    const data: Record<string, string> = {};
    for (const f of Object.values(KEY_FILES)) {
      const value = secret?.data?.[bundleKey(name, f)];
      if (value !== undefined) data[f] = value;
    }
    if (Object.keys(data).length === Object.keys(KEY_FILES).length)
      out.set(name, { name, secretName: h.revision, keysHash: h.keysHash, data });
  }
  return out;
}

/**
 * The node's command line: the bundle instead of the three key flags, pools named after the group, its level and
 * k, and the pools' Leases in the group's namespace.
 */
export function groupProducerArgs(owner: Owner, spec: MultikeyGroupSpec): string[] {
  return nodeArgs(spec, TOPOLOGY_FILE, [
    "--shelley-key-bundle",
    PATHS.keys,
    "--node-name",
    owner.name,
    "--redundancy-level",
    String(spec.redundancy.level),
    "--takeover-after-missed-slots",
    String(spec.redundancy.takeoverAfterMissedSlots),
    "--pool-lease-namespace",
    owner.namespace,
    "--watch-keys",
    String(WATCH_KEYS_SECONDS),
  ]);
}

export function buildGroupProducer(input: GroupProducerInput): ProducerObjects {
  const { owner, spec } = input;
  if (!input.pools.length) throw new Error("a group producer needs at least one pool whose keys passed the gate");
  return producerObjects({
    owner,
    spec,
    keysVolume: {
      name: "keys",
      secret: {
        secretName: bundleSecretName(owner.name),
        defaultMode: 0o400,
        items: bundleOrder(input.pools).flatMap((p) =>
          Object.values(KEY_FILES).map((f) => ({ key: bundleKey(p.name, f), path: `${p.name}/${f}` })),
        ),
      },
    },
    args: groupProducerArgs(owner, spec),
    annotations: { [KEYS_HASH_ANNOTATION]: bundleHash(input.pools) },
    pod: { serviceAccountName: producerServiceAccountName(owner.name), automountServiceAccountToken: true },
    disruptionAllowed: input.disruptionAllowed ?? false,
  });
}
