// Swapping a producer's hot key set (kes.skey, kes.vkey, node.cert) as one atomic step. Two files cannot be
// renamed at once, and a producer that reads the new certificate beside the old KES key is seeds/003. So the
// files the node is pointed at are symlinks into `keys/current/`, `current` is itself a symlink to a revision
// directory, and a swap is one rename of that symlink: every reader sees the old set or the new set, never a mix.
// This is the scheme kubelet uses for Secret volumes (the `..data` symlink).
//   <pool>/kes.skey   -> keys/current/kes.skey      (likewise kes.vkey, node.cert)
//   <pool>/keys/current  -> rev-3                   (the set in use)
//   <pool>/keys/previous -> rev-2                   (kept for rollback; older revisions are deleted, since a
//                                                    KES key left on disk undoes its forward security)
// Each revision is written completely (files fsynced, then the directory renamed into place and its parent
// fsynced) before anything points at it, so a crash at any line leaves a consistent set in use.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";

/** The hot files a rotation replaces; the VRF key and the cold material stay where they are. */
export const HOT_FILES = ["kes.skey", "kes.vkey", "node.cert"] as const;
export type HotFile = (typeof HOT_FILES)[number];
/** Writes every one of HOT_FILES into a staging directory (with the formats' own writers, which fsync). */
export type FillRevision = (dir: string) => void;
const REV = /^rev-(\d+)$/;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Point `link` at `target` atomically (a new symlink renamed over the old link or file). */
function pointAt(link: string, target: string): void {
  const tmp = `${link}.${randomBytes(4).toString("hex")}.tmp`;
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, link);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export class KeySetDir {
  readonly poolDir: string;
  readonly keysDir: string;

  constructor(poolDir: string) {
    this.poolDir = poolDir;
    this.keysDir = join(poolDir, "keys");
  }

  /** The revision `keys/<which>` points at, or null. */
  revision(which: "current" | "previous"): string | null {
    try {
      return readlinkSync(join(this.keysDir, which));
    } catch {
      return null;
    }
  }

  /**
   * First use: move the pool's plain hot files into revision rev-0 and replace each with a symlink through
   * `keys/current`. Every intermediate state reads the same bytes, so a running producer is unaffected.
   */
  adopt(): void {
    if (this.revision("current") !== null && HOT_FILES.every((f) => lstatSync(this.#hot(f)).isSymbolicLink())) return;
    const missing = HOT_FILES.filter((f) => !existsSync(this.#hot(f)));
    if (missing.length > 0)
      throw new Error(`${this.poolDir} has no ${missing.join(", ")}: not a producer's key directory`);
    mkdirSync(this.keysDir, { recursive: true });
    if (this.revision("current") === null) {
      const rev = this.#writeRevision((dir) => {
        for (const f of HOT_FILES) copyFileSync(this.#hot(f), join(dir, f), constants.COPYFILE_EXCL);
      });
      pointAt(join(this.keysDir, "current"), rev);
      fsyncDir(this.keysDir);
    }
    for (const f of HOT_FILES) {
      if (!lstatSync(this.#hot(f)).isSymbolicLink()) pointAt(this.#hot(f), join("keys", "current", f));
    }
    fsyncDir(this.poolDir);
  }

  /**
   * Write a new revision (`fill` writes its files) and make it current in one rename; the one it replaces becomes `previous` and
   * older revisions are deleted. Returns the new and the previous revision names.
   */
  swap(fill: FillRevision): { current: string; previous: string } {
    this.adopt();
    const old = this.revision("current")!;
    const rev = this.#writeRevision(fill);
    // `previous` first: a crash between the two renames leaves previous == current, which is harmless.
    pointAt(join(this.keysDir, "previous"), old);
    pointAt(join(this.keysDir, "current"), rev);
    fsyncDir(this.keysDir);
    this.#prune();
    return { current: rev, previous: old };
  }

  /** Make `previous` current again (the producer refused the new set). */
  rollback(): { current: string; refused: string } {
    const previous = this.revision("previous");
    const current = this.revision("current");
    if (previous === null || current === null || previous === current)
      throw new Error(`${this.keysDir} has no previous key set to roll back to`);
    pointAt(join(this.keysDir, "current"), previous);
    fsyncDir(this.keysDir);
    return { current: previous, refused: current };
  }

  #hot(f: HotFile): string {
    return join(this.poolDir, f);
  }

  #writeRevision(fill: FillRevision): string {
    const numbers = readdirSync(this.keysDir)
      .map((n) => REV.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    const name = `rev-${numbers.length === 0 ? 0 : Math.max(...numbers) + 1}`;
    const tmp = join(this.keysDir, `.${name}.${randomBytes(4).toString("hex")}.tmp`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      fill(tmp);
      for (const f of HOT_FILES) {
        const fd = openSync(join(tmp, f), "r"); // throws ENOENT when `fill` left one out
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      fsyncDir(tmp);
      renameSync(tmp, join(this.keysDir, name));
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
    fsyncDir(this.keysDir);
    return name;
  }

  /** Delete revisions that are neither current nor previous, and leftovers of interrupted writes. */
  #prune(): void {
    const keep = new Set([this.revision("current"), this.revision("previous")]);
    for (const n of readdirSync(this.keysDir)) {
      const stale = (REV.test(n) && !keep.has(n)) || n.endsWith(".tmp");
      if (stale) rmSync(join(this.keysDir, n), { recursive: true, force: true });
    }
  }
}
