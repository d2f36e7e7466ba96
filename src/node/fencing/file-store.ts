// Pool leases on a local filesystem, for nodes on one machine (a devnet, or producers sharing a host). Each write
// is a new file named by its generation, created with link(2), which fails with EEXIST when the name exists: of
// two nodes writing the same generation exactly one wins, with no lock to leave behind if a writer is killed or
// frozen half-way. The record is written in full to a private temporary file and fsynced before it is linked,
// so a reader never sees a partial record. The highest generation is the current record; older ones are pruned.
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { LeaseRecord, LeaseStore } from "./lease.ts";

const RECORD = /^(\d{12})\.json$/;
/** Generations kept behind the current one (a reader that listed the directory just before a prune still finds its file). */
const KEEP = 4;

export class FileLeaseStore implements LeaseStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #poolDir(pool: string): string {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(pool))
      throw new RangeError(`pool lease name ${JSON.stringify(pool)} is not a plain name`);
    return join(this.#dir, pool);
  }

  async #generations(pool: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#poolDir(pool));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .map((n) => RECORD.exec(n)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async read(pool: string): Promise<LeaseRecord | undefined> {
    const gens = await this.#generations(pool);
    const top = gens.at(-1);
    if (top === undefined) return undefined;
    const path = join(this.#poolDir(pool), name(top));
    const record = parseRecord(await readFile(path, "utf8"), path);
    if (record.generation !== top) throw new Error(`${path}: holds generation ${record.generation}, not ${top}`);
    return record;
  }

  async write(pool: string, next: LeaseRecord, expected: number): Promise<boolean> {
    if (next.generation !== expected + 1)
      throw new RangeError("a lease write must be one generation above what it read");
    const dir = this.#poolDir(pool);
    await mkdir(dir, { recursive: true });
    const gens = await this.#generations(pool);
    if ((gens.at(-1) ?? 0) !== expected) return false;
    const tmp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
    const fh = await open(tmp, "wx", 0o644);
    try {
      await fh.writeFile(JSON.stringify(next) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, join(dir, name(next.generation)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    } finally {
      await rm(tmp, { force: true });
    }
    // A writer frozen between its check and its link can create an old generation long after newer ones exist
    // (pruning removed the name it links). Such a write lost: nobody bases a record on one that is not the top.
    const after = await this.#generations(pool);
    if (after.some((g) => g > next.generation)) {
      await rm(join(dir, name(next.generation)), { force: true });
      return false;
    }
    await syncDir(dir);
    for (const g of gens) if (g < next.generation - KEEP) await rm(join(dir, name(g)), { force: true });
    return true;
  }
}

function name(generation: number): string {
  return `${String(generation).padStart(12, "0")}.json`;
}

function parseRecord(text: string, where: string): LeaseRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not a lease record (invalid JSON)`);
  }
  const r = value as Partial<LeaseRecord> | null;
  const ok =
    r !== null &&
    typeof r === "object" &&
    typeof r.holder === "string" &&
    Number.isSafeInteger(r.renewedAtMs) &&
    Number.isSafeInteger(r.durationMs) &&
    Number.isSafeInteger(r.generation);
  if (!ok) throw new Error(`${where}: not a lease record (needs holder, renewedAtMs, durationMs, generation)`);
  return r as LeaseRecord;
}

/** fsync the directory so the new name survives a power cut (the record is only as durable as its name). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
