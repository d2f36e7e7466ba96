// File I/O for key material. Reads are bounded (regular files only, at most a limit) and say which file failed
// and why. Writes are all-or-none: every output of a command goes to a temporary file beside it, is fsynced,
// and only then are all renamed into place; any failure removes the temporaries and restores what was there.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "./errors.ts";

export interface ReadLimit {
  readonly bytes: number;
  /** What the file is expected to be, for the message, e.g. "a text envelope". */
  readonly what: string;
}

/** cardano-cli's largest envelope (a KES signing key) is under 2 KiB. */
export const ENVELOPE_LIMIT: ReadLimit = { bytes: 64 * 1024, what: "a text envelope" };
/** Mainnet's genesis files are a few KiB; a devnet's with many funds stays far below this. */
export const JSON_LIMIT: ReadLimit = { bytes: 32 * 1024 * 1024, what: "a genesis or config file" };

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

function readError(path: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputError(path, "file not found");
  if (code === "EISDIR") return new InputError(path, "is a directory, expected a file");
  if (code === "EACCES") return new InputError(path, "permission denied");
  return new InputError(path, `cannot be read (${code ?? "error"})`);
}

/**
 * The whole of a regular file of at most `limit.bytes`. A FIFO, a device or a directory is refused before any
 * read (O_NONBLOCK keeps the open of a FIFO from waiting for a writer), and a file that grows while it is read
 * still yields at most limit + 1 bytes read, then the refusal.
 */
export function readInputFile(path: string, limit: ReadLimit): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw readError(path, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new InputError(path, `is ${kindOf(stats)}, expected a regular file`);
    const tooLarge = () =>
      new InputError(path, `is larger than ${size(limit.bytes)}, the limit for ${limit.what} (${stats.size} bytes)`);
    if (stats.size > limit.bytes) throw tooLarge();
    const buffer = Buffer.alloc(limit.bytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > limit.bytes) throw tooLarge();
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw readError(path, error);
  } finally {
    closeSync(fd);
  }
}

export interface OutputFile {
  readonly path: string;
  readonly contents: string | Uint8Array;
  /** File mode: 0o600 for signing keys and counters, 0o644 for public files. */
  readonly mode: number;
  /**
   * Absent: the path must not exist (key generation never destroys a file). Present: called with the path when
   * something is there, before anything is written; it throws an InputError to refuse replacing it.
   */
  readonly mayReplace?: (path: string) => void;
}

const refuseExisting = (path: string) =>
  new InputError(path, "already exists; refusing to overwrite it (move it away first if you mean to replace it)");

const writeError = (path: string, error: unknown) => {
  if (error instanceof InputError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputError(path, "its directory does not exist");
  if (code === "ENOSPC") return new InputError(path, "cannot be written: no space left on the device");
  return new InputError(path, `cannot be written (${code ?? (error as Error).message})`);
};

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw writeError(path, error);
  }
}

const sibling = (path: string, tag: string) =>
  join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.${tag}`);

/** Write all of `contents` (writeSync may write less than asked, e.g. near a full disk), then fsync. */
function writeTemp(tmp: string, contents: string | Uint8Array, mode: number): void {
  const bytes = typeof contents === "string" ? Buffer.from(contents, "utf8") : contents;
  const fd = openSync(tmp, "wx", mode);
  try {
    let done = 0;
    while (done < bytes.length) {
      const n = writeSync(fd, bytes, done, bytes.length - done);
      if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
      done += n;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Durability of the rename only; some file systems refuse fsync on a directory.
  }
}

/**
 * All of `outputs`, or none of them. Nothing is written until every path is checked; then every file is written
 * to a temporary beside it and fsynced; then all are moved into place, in order (a new file by link(), which
 * fails if one appeared meanwhile; a replaced one by rename() after keeping a link to the old one). On any
 * failure the files already placed are taken back and the old ones restored.
 */
export function writeFilesAtomic(outputs: readonly OutputFile[]): void {
  const seen = new Set<string>();
  for (const o of outputs) {
    const full = resolve(o.path);
    if (seen.has(full)) {
      throw new InputError(o.path, "is given for two outputs of this command; each output needs its own file");
    }
    seen.add(full);
  }
  const replacing = outputs.map((o) => {
    if (!exists(o.path)) return false;
    if (!o.mayReplace) throw refuseExisting(o.path);
    o.mayReplace(o.path);
    return true;
  });
  const temps: string[] = [];
  const backups: (string | undefined)[] = [];
  const placed: number[] = [];
  try {
    outputs.forEach((o, i) => {
      const tmp = sibling(o.path, "tmp");
      try {
        writeTemp(tmp, o.contents, o.mode);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw writeError(o.path, error);
      }
      temps[i] = tmp;
    });
    outputs.forEach((o, i) => {
      try {
        if (replacing[i]) {
          const backup = sibling(o.path, "old");
          linkSync(o.path, backup);
          backups[i] = backup;
          renameSync(temps[i]!, o.path);
        } else {
          linkSync(temps[i]!, o.path);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST" && !replacing[i]) throw refuseExisting(o.path);
        throw writeError(o.path, error);
      }
      placed.push(i);
    });
  } catch (error) {
    for (const i of placed.reverse()) {
      const backup = backups[i];
      try {
        if (backup) renameSync(backup, outputs[i]!.path);
        else rmSync(outputs[i]!.path, { force: true });
      } catch {
        // Undo what can be undone; the error that stopped the write is the one to report.
      }
    }
    throw error;
  } finally {
    for (const t of [...temps, ...backups]) if (t) rmSync(t, { force: true });
  }
  for (const dir of new Set(outputs.map((o) => dirname(o.path)))) fsyncDirectory(dir);
}
