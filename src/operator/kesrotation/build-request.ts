// The rotation's request for a signature: the ConfigMap with the staged KES key's public half, the period and
// counter computed online, and the exact commands a person runs on the offline machine. The names of a rotation's
// objects (api/kesrotation-objects.ts) are shared with its Jobs and `kes submit`; the staged and (Auto) signed
// Secrets are made by the Jobs themselves (`poolfleet-cli kes stage|sign`, src/cli/kes-job-secrets.ts), so the new
// KES key is generated in the Job's pod and the cold key read there, never in the operator.
import type { V1ConfigMap } from "@kubernetes/client-node";
import { rotationLabels, rotationNames } from "../../api/kesrotation-objects.ts";
import { type Owner, ownerReference } from "../names.ts";

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
