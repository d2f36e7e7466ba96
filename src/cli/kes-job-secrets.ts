// The Secrets a KesRotation's Jobs create (`kes stage` and `kes sign`, commands/kes-job.ts), named and labelled as
// the operator expects them (api/kesrotation-objects.ts). Pure: the fresh KES key's seed is drawn by the command
// and passed in, so the same inputs give the same Secret. The signing key's bytes live only inside the returned
// object's base64 data; the caller creates it and drops it.
import type { V1Secret } from "@kubernetes/client-node";
import {
  jobOwnerReference,
  rotationLabels,
  rotationNames,
  SIGNED_FILE,
  STAGED_FILES,
} from "../api/kesrotation-objects.ts";
import type { Owner } from "../api/owner.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { KesSigningKey } from "../crypto/kes.ts";
import { renderEnvelope } from "../formats/envelope.ts";
import { KEY_KINDS, type KeyKind } from "../formats/keys.ts";

const keyText = (kind: KeyKind, bytes: Uint8Array): string =>
  renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });

/** A KES key grown from `seed` (32 bytes; the caller draws and wipes it) as the rotation's staged Secret. */
export function buildStagedKesSecret(owner: Owner, pool: string, counter: number, seed: Uint8Array): V1Secret {
  const key = KesSigningKey.generate(seed);
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
