// Replacing a file so that a failure at any point (a full disk, a crash) leaves the old one whole: the new
// contents go to a temporary file in the same directory, written in full (a write may be short), fsynced, renamed
// over the old one, and the directory fsynced so the rename itself is durable. A failure removes the temporary
// file and throws the StorageError; the old file is untouched.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { StorageError, writeFully } from "./chain-db.ts";

export function replaceFileDurably(path: string, contents: Uint8Array, mode = 0o644): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    writeFully(fd, contents, 0);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    throw new StorageError(`cannot write ${path} (${code}); the previous file is kept`, code, { cause: error });
  }
  // The rename is done; fsyncing the directory makes it survive a power cut. Failing that is not worth an error.
  try {
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // best effort
  }
}
