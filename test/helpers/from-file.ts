// What `kubectl create secret generic NAME --from-file=PATH...` and `kubectl create configmap NAME
// --from-file=DIR/` send, built from the files themselves, so tests load a devnet the way examples/devnet-fleet's
// README tells a person to without needing kubectl on the machine (CI does not install it). kubectl's rules kept
// here: the key is the file's base name; a directory contributes its regular files only (subdirectories such as
// pools/ are skipped); a Secret's values are the files' bytes, base64-encoded.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";

/** `kubectl -n NS create secret generic NAME --from-file=F1 --from-file=F2 ...` */
export function secretFromFiles(namespace: string, name: string, files: string[]): V1Secret {
  const data: Record<string, string> = {};
  for (const f of files) data[basename(f)] = readFileSync(f).toString("base64");
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", data };
}

/** `kubectl -n NS create configmap NAME --from-file=DIR/` (UTF-8 files; kubectl puts others in binaryData). */
export function configMapFromDir(namespace: string, name: string, dir: string): V1ConfigMap {
  const data: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    if (!statSync(join(dir, f)).isFile()) continue;
    data[f] = readFileSync(join(dir, f), "utf8");
  }
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data };
}
