// The key revision Secret: the operator's immutable copy of a user's key Secret, made only after the copy passed
// the consistency gate (keys/secret-gate.ts). The producer mounts the revision, never the user's Secret, so editing the user's
// Secret into a bad state cannot reach a running pod: the gate refuses it and the pod keeps its revision. The name
// carries the first 8 hex digits of keysHash, so a new key set is a new Secret and rolls the pod, and an
// unchanged one is the same Secret and writes nothing.
import type { V1Secret } from "@kubernetes/client-node";
import { KEY_FILES } from "../../keys/secret-gate.ts";
import { commonLabels, names, type Owner, ownerReference } from "../names.ts";

export const KEYS_HASH_ANNOTATION = "poolfleet.io/keys-hash";
/** Label on every revision Secret, so the controller can list its pool's revisions and delete superseded ones. */
export const KEY_REVISION_LABEL = "poolfleet.io/key-revision";
/** On a MultikeyGroup pool's revision: the pool's name in the group. */
export const GROUP_POOL_LABEL = "poolfleet.io/group-pool";

export interface KeyRevisionInput {
  /** The StakePool, or the MultikeyGroup whose pool this is. */
  owner: Owner;
  /** For a MultikeyGroup: the pool's name in the group; the revision is `<group>-<pool>-keys-<hash8>`. */
  pool?: string;
  /** sha256 of the key set's public parts (keys/secret-gate.ts), 64 hex digits. */
  keysHash: string;
  /** The user's Secret's `data` (base64 values, as the API server returns them): only the three files are copied. */
  data: Record<string, string>;
}

export function keyRevisionName(pool: string, keysHash: string): string {
  return names.keyRevision(pool, keysHash);
}

/** A group pool's revision: named from group, pool and hash, so two pools of a group never share one. */
export function groupKeyRevisionName(group: string, pool: string, keysHash: string): string {
  return names.keyRevision(`${group}-${pool}`, keysHash);
}

export function buildKeyRevisionSecret(input: KeyRevisionInput): V1Secret {
  const { owner, keysHash } = input;
  if (!/^[0-9a-f]{64}$/.test(keysHash)) throw new Error("keysHash must be 64 lower-case hex digits");
  const data: Record<string, string> = {};
  for (const file of Object.values(KEY_FILES)) {
    const value = input.data[file];
    if (value === undefined) throw new Error(`the key set has no ${file}; run the gate before building a revision`);
    data[file] = value;
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: input.pool ? groupKeyRevisionName(owner.name, input.pool, keysHash) : keyRevisionName(owner.name, keysHash),
      namespace: owner.namespace,
      labels: {
        ...commonLabels("producer", owner.name, owner.name),
        [KEY_REVISION_LABEL]: keysHash.slice(0, 8),
        ...(input.pool ? { [GROUP_POOL_LABEL]: input.pool } : {}),
      },
      annotations: { [KEYS_HASH_ANNOTATION]: keysHash },
      ownerReferences: [ownerReference(owner)],
    },
    type: "Opaque",
    // Immutable: what a pod was rolled onto cannot change under it; a new key set is a new revision.
    immutable: true,
    data,
  };
}
