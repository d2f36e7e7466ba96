// MultikeyGroup -> the group's producer: one StatefulSet (one replica: one forger per pool), its headless Service
// and PodDisruptionBudget, the same pod as a StakePool's producer (node-pod.ts) but holding a key bundle. Pure.
//
// The bundle (poolfleet-node --shelley-key-bundle, docs/multikey.md) is one projected volume at /keys: each pool's
// immutable revision Secret (keys/revision.ts, made only after that pool's keys passed the gate) projected into
// `<pool name>/kes.skey`, `vrf.skey`, `node.cert`, read-only, mode 0400. A pool that never passed is not in it, so
// no pod ever sees its keys. The node names the pools `<group>-<index>`, index in sorted directory order
// (src/node/key-bundle.ts); bundleDisplayNames says which name is which pool, for status.
//
// Main and backups alike fence every pool with a Lease in the group's namespace (--pool-lease-namespace): a fence
// only one side holds means nothing. So the pod runs as the group's producer ServiceAccount (producer-rbac.ts) with
// its token mounted, the one kind of node pod that has one.
import { createHash } from "node:crypto";
import type { V1StatefulSet } from "@kubernetes/client-node";
import type { MultikeyGroupSpec } from "../../api/multikeygroup.ts";
import { KEY_FILES } from "../../keys/secret-gate.ts";
import { KEYS_HASH_ANNOTATION } from "../keys/revision.ts";
import type { Owner } from "../names.ts";
import { nodeArgs, PATHS } from "./node-pod.ts";
import { type ProducerObjects, producerObjects } from "./producer.ts";
import { producerServiceAccountName } from "./producer-rbac.ts";

export interface BundlePool {
  /** The pool's name in the group (its sub-directory in the bundle). */
  name: string;
  /** Its revision Secret (`<group>-<pool>-keys-<hash8>`). */
  secretName: string;
}

export interface GroupProducerInput {
  /** The MultikeyGroup. */
  owner: Owner;
  spec: MultikeyGroupSpec;
  /** The pools whose keys the producer holds (at least one); order does not matter. */
  pools: readonly BundlePool[];
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

/** One digest of the bundle's revisions, for the pod annotation `kubectl describe` shows. */
export function bundleHash(pools: readonly BundlePool[]): string {
  const h = createHash("sha256").update("poolfleet-bundle-v1\n");
  for (const p of bundleOrder(pools)) h.update(`${p.name}=${p.secretName}\n`);
  return h.digest("hex");
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
      projected: {
        defaultMode: 0o400,
        sources: bundleOrder(input.pools).map((p) => ({
          secret: {
            name: p.secretName,
            items: Object.values(KEY_FILES).map((f) => ({ key: f, path: `${p.name}/${f}` })),
          },
        })),
      },
    },
    args: groupProducerArgs(owner, spec),
    annotations: { [KEYS_HASH_ANNOTATION]: bundleHash(input.pools) },
    pod: { serviceAccountName: producerServiceAccountName(owner.name), automountServiceAccountToken: true },
  });
}

/** The revision Secret each pool of a live group StatefulSet mounts (pool name -> Secret name). */
export function mountedRevisions(sts: V1StatefulSet | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const keys = sts?.spec?.template?.spec?.volumes?.find((v) => v.name === "keys");
  for (const src of keys?.projected?.sources ?? []) {
    const pool = src.secret?.items?.[0]?.path?.split("/")[0];
    if (pool && src.secret?.name) out.set(pool, src.secret.name);
  }
  return out;
}
