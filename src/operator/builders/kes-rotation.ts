// The objects of one rotation, all with deterministic names so a restarted operator finds what it made before
// instead of making it again:
//   <rotation>-staged-<n>        Secret: the new KES key (kes.skey, kes.vkey), n = the counter the certificate
//                                must carry. Immutable, owned by the KesRotation, mounted by no pod.
//   <rotation>-opcert-request    ConfigMap: public material only (kes.vkey, period, counter) and the exact
//                                commands a person runs on the offline machine.
//   <rotation>-signed            Secret the person creates with the signed node.cert (public, but a Secret so
//                                the same `kubectl create secret generic` works for every key file).
// The staged and (Auto) signed Secrets are made by the rotation's Jobs (kes-jobs.ts), which run `poolfleet-cli kes
// stage` and `kes sign` in the node image and call the builders below there: the new KES key is generated in the
// Job's pod and the cold key is read there, never in the operator. Their owner references carry no
// blockOwnerDeletion: that would need update on kesrotations/finalizers, which the Jobs' ServiceAccount lacks.
import { randomBytes } from "node:crypto";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { KesSigningKey } from "../../crypto/kes.ts";
import { encodeCbor } from "../../codec/cbor.ts";
import { renderEnvelope } from "../../formats/envelope.ts";
import { KEY_KINDS, type KeyKind } from "../../formats/keys.ts";
import { MANAGER, type Owner, ownerReference } from "../names.ts";

export const STAGED_FILES = { kes: "kes.skey", kesVkey: "kes.vkey" } as const;
export const SIGNED_FILE = "node.cert";
export const ROTATION_LABEL = "poolfleet.io/kes-rotation";

export const rotationNames = {
  staged: (rotation: string, counter: number) => `${rotation}-staged-${counter}`,
  request: (rotation: string) => `${rotation}-opcert-request`,
  signed: (rotation: string) => `${rotation}-signed`,
};

export const keyText = (kind: KeyKind, bytes: Uint8Array): string =>
  renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });

/** The owner reference of an object a rotation's Job creates (see the header for why not blockOwnerDeletion). */
export const jobOwnerReference = (owner: Owner) => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.name,
  uid: owner.uid,
  controller: true,
});

export const rotationLabels = (owner: Owner, pool: string) => ({
  "app.kubernetes.io/managed-by": MANAGER,
  "app.kubernetes.io/part-of": "poolfleet",
  "poolfleet.io/pool": pool,
  [ROTATION_LABEL]: owner.name,
});

/**
 * A fresh KES key as the staged Secret (called in the staging Job's pod, `poolfleet-cli kes stage`). The signing
 * key's bytes live only inside the returned object's base64 data; the caller creates it and drops it.
 */
export function buildStagedKesSecret(owner: Owner, pool: string, counter: number): V1Secret {
  const seed = Uint8Array.from(randomBytes(32));
  const key = KesSigningKey.generate(seed);
  seed.fill(0);
  const bytes = key.toBytes();
  const vkey = key.verificationKey;
  key.wipe();
  const skeyText = keyText(KEY_KINDS.kesSigning, bytes);
  bytes.fill(0);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: rotationNames.staged(owner.name, counter),
      namespace: owner.namespace,
      labels: rotationLabels(owner, pool),
      ownerReferences: [jobOwnerReference(owner)],
    },
    type: "Opaque",
    // Immutable, and only ever created (never applied or replaced): a retried pod finds it and keeps it.
    immutable: true,
    data: {
      [STAGED_FILES.kes]: Buffer.from(skeyText).toString("base64"),
      [STAGED_FILES.kesVkey]: Buffer.from(keyText(KEY_KINDS.kesVerification, vkey)).toString("base64"),
    },
  };
}

export interface OpcertRequest {
  owner: Owner;
  pool: string;
  /** The staged KES verification key's text envelope. */
  kesVkeyText: string;
  kesVkeyHash: string;
  kesPeriod: number;
  counter: number;
}

/** The commands for the offline machine, in the order they run (docs/kes-rotation.md section 4.1). */
export function offlineCommands(r: OpcertRequest): string {
  const signed = rotationNames.signed(r.owner.name);
  return [
    `# 1. The counter file must say ${r.counter} is next (set it exactly; see docs/kes-rotation.md 4.1):`,
    `poolfleet-cli node new-counter --cold-verification-key-file cold.vkey --counter-value ${r.counter} \\`,
    `  --operational-certificate-issue-counter-file cold.counter`,
    `# 2. Sign at the period computed online (never one from this machine's clock):`,
    `poolfleet-cli node issue-op-cert --kes-verification-key-file kes.vkey --cold-signing-key-file cold.skey \\`,
    `  --operational-certificate-issue-counter-file cold.counter --kes-period ${r.kesPeriod} --out-file node.cert`,
    `# 3. Hand node.cert back (only node.cert; the KES signing key never leaves the cluster). poolfleet-cli checks`,
    `#    it against this request first; plain kubectl works too:`,
    `poolfleet-cli kes submit --rotation ${r.owner.name} --namespace ${r.owner.namespace} --op-cert-file node.cert`,
    `#  or: kubectl -n ${r.owner.namespace} create secret generic ${signed} --from-file=node.cert`,
    "",
  ].join("\n");
}

export function buildRequestConfigMap(r: OpcertRequest): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: rotationNames.request(r.owner.name),
      namespace: r.owner.namespace,
      labels: rotationLabels(r.owner, r.pool),
      ownerReferences: [ownerReference(r.owner)],
    },
    data: {
      "kes.vkey": r.kesVkeyText,
      kesVkeyHash: r.kesVkeyHash,
      kesPeriod: String(r.kesPeriod),
      counter: String(r.counter),
      signedSecret: rotationNames.signed(r.owner.name),
      "commands.sh": offlineCommands(r),
    },
  };
}

/** The signed certificate as a Secret, for Auto mode (made by the signing Job, `poolfleet-cli kes sign`). */
export function buildSignedSecret(owner: Owner, pool: string, certText: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: rotationNames.signed(owner.name),
      namespace: owner.namespace,
      labels: rotationLabels(owner, pool),
      ownerReferences: [jobOwnerReference(owner)],
    },
    type: "Opaque",
    data: { [SIGNED_FILE]: Buffer.from(certText).toString("base64") },
  };
}
