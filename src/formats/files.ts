// File I/O for key material: reads that say which file failed and why, and writes that are atomic
// (temporary file + rename) so a crash never leaves a half-written key, with owner-only modes for secrets.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "./errors.ts";

export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(path, "file not found");
    if (code === "EISDIR") throw new InputError(path, "is a directory, expected a file");
    if (code === "EACCES") throw new InputError(path, "permission denied");
    throw new InputError(path, `cannot be read (${code ?? "error"})`);
  }
}

export interface WriteOptions {
  /** File mode: 0o600 for signing keys and counters, 0o644 for public files. */
  readonly mode: number;
  /** Refuse to replace an existing file (key generation must never destroy a key). */
  readonly noClobber?: boolean;
}

export function writeFileAtomic(path: string, contents: string | Uint8Array, options: WriteOptions): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", options.mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(path, "its directory does not exist");
    throw new InputError(path, `cannot be written (${code ?? "error"})`);
  }
  try {
    writeSync(fd, typeof contents === "string" ? Buffer.from(contents, "utf8") : contents);
    fsyncSync(fd);
    closeSync(fd);
    if (options.noClobber) {
      // link() fails if the target exists, which makes the no-clobber check and the write one atomic step.
      linkNoClobber(tmp, path);
      rmSync(tmp, { force: true });
    } else {
      renameSync(tmp, path);
    }
  } catch (error) {
    rmSync(tmp, { force: true });
    if (error instanceof InputError) throw error;
    throw new InputError(path, `cannot be written (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function linkNoClobber(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new InputError(
        to,
        "already exists; refusing to overwrite it (move it away first if you mean to replace it)",
      );
    }
    throw error;
  }
}
