// Ledger/consensus state snapshots, so a restart replays only the blocks after the newest snapshot. Each file
// names the chain position it belongs to (block count and tip hash); one that does not match the chain
// database, or does not parse, is ignored and an older one (or genesis) is used instead. A snapshot that cannot be
// written (a full disk) throws StorageError and leaves the older ones as they were.
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { replaceFileDurably } from "./durable-file.ts";

export interface Snapshot {
  readonly blockCount: number;
  readonly tipHash: string | null;
  readonly state: unknown;
}

const KEEP = 3;
const name = (blockCount: number) => `state-${String(blockCount).padStart(12, "0")}.json`;

export function saveSnapshot(dir: string, snapshot: Snapshot): void {
  const folder = join(dir, "snapshots");
  mkdirSync(folder, { recursive: true });
  replaceFileDurably(join(folder, name(snapshot.blockCount)), Buffer.from(JSON.stringify(snapshot), "utf8"));
  const files = readdirSync(folder)
    .filter((f) => /^state-\d{12}\.json$/.test(f))
    .sort();
  for (const old of files.slice(0, Math.max(0, files.length - KEEP))) rmSync(join(folder, old), { force: true });
}

/** The block counts of the snapshots kept (from their file names, nothing is read), ascending. */
export function snapshotCounts(dir: string): number[] {
  try {
    return readdirSync(join(dir, "snapshots"))
      .filter((f) => /^state-\d{12}\.json$/.test(f))
      .map((f) => Number(f.slice(6, 18)))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The newest snapshot that `matches` the chain database, or null (start from genesis). */
export function loadSnapshot(
  dir: string,
  matches: (blockCount: number, tipHash: string | null) => boolean,
): Snapshot | null {
  const folder = join(dir, "snapshots");
  let files: string[];
  try {
    files = readdirSync(folder)
      .filter((f) => /^state-\d{12}\.json$/.test(f))
      .sort()
      .reverse();
  } catch {
    return null;
  }
  for (const file of files) {
    try {
      const s = JSON.parse(readFileSync(join(folder, file), "utf8")) as Snapshot;
      if (typeof s.blockCount === "number" && matches(s.blockCount, s.tipHash)) return s;
    } catch {
      // unreadable or torn: try an older one
    }
  }
  return null;
}
