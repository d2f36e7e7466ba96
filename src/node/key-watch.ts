// Re-reading the keys when their files change (--watch-keys SECONDS), for a producer whose key files are a
// mounted Kubernetes Secret. When the Secret changes the kubelet swaps the volume's contents atomically (a new
// timestamped directory behind the `..data` symlink) without restarting the pod; the node notices by polling a
// fingerprint of the files and then does exactly what SIGHUP does (node.reloadKeys: every pool through the gate on
// its own, pools added, removed or re-keyed, the others untouched). Polling, not fs.watch: inotify does not see a
// symlink swap reliably, and a fingerprint of a few stat calls every few seconds costs nothing.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_FILES, IDENTITIES_FILE } from "./key-bundle.ts";
import type { KeySource } from "./producer-pools.ts";

/** One file's identity as the reader would see it (through symlinks): inode, size and modification time. */
function fileMark(path: string): string {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : "-";
  } catch {
    return "?";
  }
}

/** A string that changes whenever a key file the source names changes, appears or goes. Never throws. */
export function keyFingerprint(source: KeySource | undefined): string {
  if (!source) return "";
  if (source.kind === "single")
    return [source.paths.kes, source.paths.vrf, source.paths.opcert].map(fileMark).join("|");
  let entries: string[];
  try {
    entries = readdirSync(source.dir)
      .filter((e) => !e.startsWith("."))
      .sort();
  } catch {
    return "unreadable";
  }
  const marks = [`${IDENTITIES_FILE}=${fileMark(join(source.dir, IDENTITIES_FILE))}`];
  for (const e of entries) {
    if (e === IDENTITIES_FILE) continue;
    marks.push(
      `${e}:${Object.values(BUNDLE_FILES)
        .map((f) => fileMark(join(source.dir, e, f)))
        .join(",")}`,
    );
  }
  return marks.join("|");
}

/** Calls `onChange` after the fingerprint changed, checking every `everyMs`; stop() ends it. */
export function watchKeys(fingerprint: () => string, onChange: () => void, everyMs: number): { stop: () => void } {
  let last = fingerprint();
  const timer = setInterval(() => {
    const now = fingerprint();
    if (now === last) return;
    last = now;
    onChange();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
