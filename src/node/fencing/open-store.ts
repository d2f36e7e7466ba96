// The lease store a node's flags name: a directory shared by the group's nodes (--pool-lease-dir), or the
// coordination.k8s.io Leases of a namespace (--pool-lease-namespace), reached with the credentials the operator
// uses too (the pod's service account, or KUBECONFIG / ~/.kube/config when run outside a pod).
import { InputError } from "../../formats/errors.ts";
import { KubeClient } from "../../kube/client.ts";
import { type KubeCredentials, loadCredentials } from "../../kube/credentials.ts";
import type { PoolLeaseOptions } from "../config.ts";
import { FileLeaseStore } from "./file-store.ts";
import { KubeLeaseStore } from "./kube-store.ts";
import type { LeaseStore } from "./lease.ts";

export interface OpenedLeaseStore {
  readonly store: LeaseStore;
  /** Frees what the store holds open (the API client's keep-alive connections). */
  close(): void;
}

export async function openLeaseStore(
  o: PoolLeaseOptions,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir?: string,
): Promise<OpenedLeaseStore> {
  if ("dir" in o) return { store: new FileLeaseStore(o.dir), close: () => {} };
  let client: KubeClient;
  try {
    const credentials: KubeCredentials = await loadCredentials(undefined, env, serviceAccountDir);
    client = new KubeClient(credentials);
  } catch (error) {
    // The start fails with the loader's own one-line reason (which file, which field), named by the flag.
    throw new InputError("--pool-lease-namespace", `no API server to keep the Leases on: ${(error as Error).message}`);
  }
  return {
    store: new KubeLeaseStore(client, { namespace: o.namespace }),
    close: () => client.close(),
  };
}
