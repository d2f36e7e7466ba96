// Many pools in one producer (MultikeyGroup, seeds/002): a key bundle is a directory with one sub-directory per
// pool, each holding that pool's `kes.skey`, `vrf.skey` and `node.cert` (the names cardano-node deployments and
// the operator's key Secrets use). Optionally `identities.json` gives display names, as the seed's
// NodeDisplayName and [[NamedIdentity]] do:
//
//   { "identities": [ { "identity": "brand-a", "nodeName": "alpha", "pools": ["pool-c"] } ] }
//
// A pool's display name is the node's name plus the pool's index among the pools it shares a name with
// ("<node>-0", "<node>-1", ...); a pool listed in a named identity is "<nodeName>-<index in that identity>".
// Logs and metrics use display names; nothing the node sends to peers names its pools.
//
// Reading the bundle never fails as a whole for one bad pool: a sub-directory with a missing file becomes a pool
// that is refused with its reason, and the others carry on. Only an unreadable bundle directory or a malformed
// identities.json stops the reload (the previous pools stay in use).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../formats/errors.ts";
import { JSON_LIMIT, readInputFile } from "../formats/files.ts";

export const BUNDLE_FILES = { kes: "kes.skey", vrf: "vrf.skey", opcert: "node.cert" } as const;
export const IDENTITIES_FILE = "identities.json";
/** Seeds/002's advice, which the MultikeyGroup schema also enforces. */
export const MAX_BUNDLE_POOLS = 32;

export interface BundlePool {
  /** The sub-directory's name: stable across reloads, used to tell a re-keyed pool from a new one. */
  readonly dir: string;
  readonly displayName: string;
  readonly identity?: string;
  readonly paths: { readonly kes: string; readonly vrf: string; readonly opcert: string };
  /** Set when the sub-directory cannot be a pool (a file missing): the pool is refused with this reason. */
  readonly problem?: string;
}

interface NamedIdentity {
  identity: string;
  nodeName: string;
  pools: string[];
}

export function readKeyBundle(dir: string, nodeName: string): BundlePool[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((e) => !e.startsWith(".") && e !== IDENTITIES_FILE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(dir, code === "ENOENT" ? "key bundle directory not found" : `cannot be read (${code})`);
  }
  const dirs = entries.filter((e) => statSync(join(dir, e), { throwIfNoEntry: false })?.isDirectory()).sort();
  if (dirs.length === 0)
    throw new InputError(
      dir,
      "key bundle holds no pool directories (one per pool, each with kes.skey, vrf.skey, node.cert)",
    );
  if (dirs.length > MAX_BUNDLE_POOLS)
    throw new InputError(
      dir,
      `key bundle holds ${dirs.length} pools; at most ${MAX_BUNDLE_POOLS} per node (seeds/002)`,
    );
  const identities = readIdentities(dir, new Set(dirs));
  const named = new Map<string, { id: NamedIdentity; index: number }>();
  for (const id of identities) id.pools.forEach((p, index) => named.set(p, { id, index }));
  let defaultIndex = 0;
  return dirs.map((d) => {
    const paths = {
      kes: join(dir, d, BUNDLE_FILES.kes),
      vrf: join(dir, d, BUNDLE_FILES.vrf),
      opcert: join(dir, d, BUNDLE_FILES.opcert),
    };
    const missing = Object.values(BUNDLE_FILES).filter(
      (f) => !statSync(join(dir, d, f), { throwIfNoEntry: false })?.isFile(),
    );
    const n = named.get(d);
    const displayName = n ? `${n.id.nodeName}-${n.index}` : `${nodeName}-${defaultIndex++}`;
    return {
      dir: d,
      displayName,
      ...(n ? { identity: n.id.identity } : {}),
      paths,
      ...(missing.length ? { problem: `${join(dir, d)}: missing ${missing.join(", ")}` } : {}),
    };
  });
}

function readIdentities(dir: string, pools: ReadonlySet<string>): NamedIdentity[] {
  const path = join(dir, IDENTITIES_FILE);
  if (!statSync(path, { throwIfNoEntry: false })) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readInputFile(path, JSON_LIMIT).toString("utf8"));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(path, "is not valid JSON");
  }
  const list = (doc as { identities?: unknown } | null)?.identities;
  if (!Array.isArray(list)) throw new InputError(path, 'needs { "identities": [ { identity, nodeName, pools } ] }');
  const seen = new Map<string, number>();
  return list.map((raw, i) => {
    const where = `identities[${i}]`;
    const id = raw as Partial<NamedIdentity> | null;
    if (
      !id ||
      typeof id.identity !== "string" ||
      typeof id.nodeName !== "string" ||
      !/^[A-Za-z0-9._-]{1,63}$/.test(id.nodeName)
    )
      throw new InputError(path, `${where} needs "identity" and a "nodeName" of letters, digits, ".", "_" or "-"`);
    if (!Array.isArray(id.pools) || id.pools.some((p) => typeof p !== "string"))
      throw new InputError(path, `${where}.pools must list pool directory names`);
    for (const p of id.pools) {
      if (!pools.has(p))
        throw new InputError(path, `${where} names pool "${p}", which is not a directory of the bundle`);
      const other = seen.get(p);
      if (other !== undefined) throw new InputError(path, `pool "${p}" is in identities[${other}] and ${where}`);
      seen.set(p, i);
    }
    return { identity: id.identity, nodeName: id.nodeName, pools: id.pools as string[] };
  });
}
