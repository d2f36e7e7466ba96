// cardano-node's P2P topology.json: local roots (peers the node always keeps, e.g. a producer's own relays),
// public roots, bootstrap peers and useLedgerAfterSlot. Parsed with zod so a malformed file is refused with the
// field that is wrong; written in the same shape cardano-node reads.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { InputError } from "./errors.ts";

const accessPoint = z.object({
  address: z.string().min(1).describe("IP address or DNS name"),
  port: z.number().int().min(1).max(65535),
});

const localRootGroup = z.object({
  accessPoints: z.array(accessPoint),
  advertise: z.boolean().default(false),
  trustable: z.boolean().default(false),
  // cardano-node 8.x wrote "valency"; 9.x+ "hotValency" (falling back to valency) and "warmValency".
  valency: z.number().int().nonnegative().optional(),
  hotValency: z.number().int().nonnegative().optional(),
  warmValency: z.number().int().nonnegative().optional(),
});

const publicRootGroup = z.object({
  accessPoints: z.array(accessPoint),
  advertise: z.boolean().default(false),
});

const topologySchema = z.object({
  bootstrapPeers: z.array(accessPoint).nullable().optional(),
  localRoots: z.array(localRootGroup).default([]),
  publicRoots: z.array(publicRootGroup).default([]),
  useLedgerAfterSlot: z.number().int().default(-1),
  peerSnapshotFile: z.string().optional(),
});

export type AccessPoint = z.infer<typeof accessPoint>;
export type Topology = z.infer<typeof topologySchema>;

export interface LocalRoot {
  readonly accessPoints: AccessPoint[];
  readonly advertise: boolean;
  readonly trustable: boolean;
  /** Peers of the group to keep hot (connected and active). */
  readonly hotValency: number;
  readonly warmValency: number;
}

export function parseTopology(text: string, where: string): Topology {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(where, "is not valid JSON (expected cardano-node's P2P topology.json)");
  }
  const r = topologySchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(where, `topology field "${issue.path.join(".") || "(top level)"}": ${issue.message}`);
  }
  return r.data;
}

export function readTopology(path: string): Topology {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(path, code === "ENOENT" ? "file not found" : `cannot be read (${code})`);
  }
  return parseTopology(text, path);
}

/** Local root groups with cardano-node's valency defaults applied (hot = valency or all; warm = hot). */
export function localRoots(topology: Topology): LocalRoot[] {
  return topology.localRoots.map((g) => {
    const hot = g.hotValency ?? g.valency ?? g.accessPoints.length;
    return {
      accessPoints: g.accessPoints,
      advertise: g.advertise,
      trustable: g.trustable,
      hotValency: hot,
      warmValency: g.warmValency ?? hot,
    };
  });
}

/** What a writer gives: local roots with valencies spelled out, and bootstrap peers null (off) or left out. */
export interface TopologyOut {
  readonly bootstrapPeers?: AccessPoint[] | null;
  readonly localRoots: readonly LocalRoot[];
  readonly publicRoots: readonly { readonly accessPoints: AccessPoint[]; readonly advertise: boolean }[];
  readonly useLedgerAfterSlot: number;
}

/** A local root group that keeps every one of `peers` hot. */
export function localRootOf(peers: AccessPoint[], options: { trustable: boolean; advertise?: boolean }): LocalRoot {
  return {
    accessPoints: peers,
    advertise: options.advertise ?? false,
    trustable: options.trustable,
    hotValency: peers.length,
    warmValency: peers.length,
  };
}

/** topology.json text in cardano-node's key order (bootstrapPeers, localRoots, publicRoots, useLedgerAfterSlot). */
export function renderTopology(t: TopologyOut): string {
  const json = {
    ...(t.bootstrapPeers !== undefined ? { bootstrapPeers: t.bootstrapPeers } : {}),
    localRoots: t.localRoots.map((g) => ({
      accessPoints: g.accessPoints.map((p) => ({ address: p.address, port: p.port })),
      advertise: g.advertise,
      trustable: g.trustable,
      hotValency: g.hotValency,
      warmValency: g.warmValency,
    })),
    publicRoots: t.publicRoots.map((g) => ({
      accessPoints: g.accessPoints.map((p) => ({ address: p.address, port: p.port })),
      advertise: g.advertise,
    })),
    useLedgerAfterSlot: t.useLedgerAfterSlot,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** A topology with one local root group of `peers` and optional public roots, as cardano-node reads it. */
export function topologyJson(
  peers: AccessPoint[],
  options: { trustable?: boolean; publicRoots?: AccessPoint[] } = {},
): string {
  return renderTopology({
    localRoots: peers.length > 0 ? [localRootOf(peers, { trustable: options.trustable ?? true })] : [],
    publicRoots: options.publicRoots?.length ? [{ accessPoints: options.publicRoots, advertise: false }] : [],
    useLedgerAfterSlot: -1,
  });
}
