// The names of one rotation's objects, all deterministic so a restarted operator finds what it made before instead
// of making it again. Three parties must agree on them: the operator (kes-rotation builders and the controller),
// the rotation's Jobs (`poolfleet-cli kes stage|sign`, which create the staged and signed Secrets) and
// `poolfleet-cli kes submit` (which writes the signed Secret in Assisted mode). Hence here, below all three.
//   <rotation>-staged-<n>        Secret: the new KES key (kes.skey, kes.vkey), n = the counter the certificate
//                                must carry. Immutable, owned by the KesRotation, mounted by no pod.
//   <rotation>-opcert-request    ConfigMap: public material only (kes.vkey, period, counter) and the exact
//                                commands a person runs on the offline machine.
//   <rotation>-signed            Secret the person creates with the signed node.cert (public, but a Secret so
//                                the same `kubectl create secret generic` works for every key file).
import { MANAGER, type Owner } from "./owner.ts";

export const STAGED_FILES = { kes: "kes.skey", kesVkey: "kes.vkey" } as const;
export const SIGNED_FILE = "node.cert";
export const ROTATION_LABEL = "poolfleet.io/kes-rotation";

export const rotationNames = {
  staged: (rotation: string, counter: number) => `${rotation}-staged-${counter}`,
  request: (rotation: string) => `${rotation}-opcert-request`,
  signed: (rotation: string) => `${rotation}-signed`,
};

/**
 * The owner reference of an object a rotation's Job creates. No blockOwnerDeletion: that would need update on
 * kesrotations/finalizers, which the Jobs' ServiceAccount lacks.
 */
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
