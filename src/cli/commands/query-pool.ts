// cardano-cli's pool queries over node-to-client: `query stake-distribution` (each pool's share of the stake in
// force, keyed by bech32 pool id, the fraction as Aeson writes a Rational; asked as cardano-cli asks it:
// GetStakeDistribution2 from NodeToClientV_21 on, where cardano-node refuses GetStakeDistribution, which older
// versions get), and
// `query pool-state --stake-pool-id` with its deprecated alias `query pool-params` (GetPoolState), printing per
// pool { poolParams, futurePoolParams, retiring } with the ledger's PoolParams JSON (publicKey, vrf, pledge, cost,
// margin, rewardAccount, owners, relays, metadata) as cardano-cli 8-10 print it.
import { bech32 } from "@scure/base";
import { bytesToHex } from "../../crypto/bytes.ts";
import type { CborValue } from "../../codec/cbor.ts";
import { InputError } from "../../formats/errors.ts";
import type { Command } from "../command.ts";
import { N2C_VERSION_BIT } from "../../network/n2c-handshake.ts";
import { conwayQuery, currentEraResult, NODE_FLAGS, nodeTarget, withLocalNode } from "../local-node.ts";
import { json, num, poolIdBytes, ratio } from "./query-node.ts";

/** A tag-30 rational's numerator and denominator (cbor-x reads unknown tags as { tag, value }). */
const fraction = (v: CborValue): [bigint, bigint] => {
  const [n, d] = (v as unknown as { value: [number | bigint, number | bigint] }).value;
  return [BigInt(n), BigInt(d)];
};

const poolBech32 = (id: Uint8Array): string => bech32.encode("pool", bech32.toWords(id));

export const queryStakeDistribution: Command = {
  path: ["query", "stake-distribution"],
  summary: "show each pool's share of the stake in force (cardano-cli's JSON, or its table with --output-text)",
  flags: {
    ...NODE_FLAGS,
    "output-json": { type: "boolean", description: "print JSON (the default)" },
    "output-text": { type: "boolean", description: "print cardano-cli's table: PoolId, Stake frac" },
  },
  example: "poolfleet-cli query stake-distribution --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    if (flags.boolean("output-json") && flags.boolean("output-text"))
      throw new InputError("query stake-distribution", "give at most one of --output-json and --output-text");
    const [v21, answer] = await withLocalNode(nodeTarget(flags), async (n) => {
      const v21 = n.version >= (21 | N2C_VERSION_BIT);
      return [v21, (await n.query(conwayQuery(v21 ? 37 : 5)))[0]!] as const;
    });
    // V21+: the ledger's PoolDistr [{pool: [fraction, stake, vrf]}, total]; before: {pool: [fraction, vrf]}.
    const result = currentEraResult(answer);
    const distribution = (v21 ? (result as CborValue[])[0] : result) as Map<Uint8Array, CborValue[]>;
    const pools = [...distribution]
      .map(([id, [stake]]) => [poolBech32(id), fraction(stake!)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (flags.boolean("output-text")) {
      const title = "                           PoolId                                 Stake frac";
      io.out(title);
      io.out("-".repeat(title.length + 2));
      for (const [id, [n, d]] of pools) io.out(`${id}   ${(Number(n) / Number(d)).toExponential(3)}`);
      return 0;
    }
    io.out(json(Object.fromEntries(pools.map(([id, [n, d]]) => [id, { denominator: d, numerator: n }]))));
    return 0;
  },
};

/** A reward account (header byte + 28-byte credential) as the ledger's JSON: network and credential. */
function rewardAccountJson(bytes: Uint8Array): Record<string, unknown> {
  const hash = bytesToHex(bytes.subarray(1));
  return {
    credential: (bytes[0]! & 0x10) === 0 ? { keyHash: hash } : { scriptHash: hash },
    network: (bytes[0]! & 0x0f) === 1 ? "Mainnet" : "Testnet",
  };
}

/** A pool relay ([0, port, ipv4, ipv6] | [1, port, dns] | [2, dns]) as the ledger's JSON. */
function relayJson(relay: CborValue): Record<string, unknown> {
  const [kind, a, b, c] = relay as CborValue[];
  const ip = (bytes: CborValue, v6: boolean) => {
    if (!(bytes instanceof Uint8Array)) return null;
    if (!v6) return [...bytes].join(".");
    // The ledger stores IPv6 as four little-endian 32-bit words; print the address's groups.
    const words = [0, 4, 8, 12].map((i) => Buffer.from(bytes.subarray(i, i + 4)).reverse());
    const flat = Buffer.concat(words);
    return [0, 2, 4, 6, 8, 10, 12, 14].map((i) => flat.readUInt16BE(i).toString(16)).join(":");
  };
  const port = (p: CborValue | undefined) => (p === null || p === undefined ? null : num(p));
  if (kind === 0) return { "single host address": { IPv4: ip(b!, false), IPv6: ip(c!, true), port: port(a) } };
  if (kind === 1) return { "single host name": { dnsName: b, port: port(a) } };
  return { "multi host name": { dnsName: a } };
}

/** PoolParams [operator, vrf, pledge, cost, margin, rewardAccount, owners, relays, metadata] as cardano-cli's JSON. */
export function poolParamsJson(p: CborValue[]): Record<string, unknown> {
  const [operator, vrf, pledge, cost, margin, account, owners, relays, metadata] = p;
  const ownerList = owners instanceof Set ? [...(owners as Set<Uint8Array>)] : (owners as Uint8Array[]);
  const meta = metadata as [string, Uint8Array] | null;
  return {
    cost: num(cost!),
    margin: ratio(margin!),
    metadata: meta ? { hash: bytesToHex(meta[1]), url: meta[0] } : null,
    owners: ownerList.map(bytesToHex).sort(),
    pledge: num(pledge!),
    publicKey: bytesToHex(operator as Uint8Array),
    relays: (relays as CborValue[]).map(relayJson),
    rewardAccount: rewardAccountJson(account as Uint8Array),
    vrf: bytesToHex(vrf as Uint8Array),
  };
}

const poolStateCommand = (verb: string, summary: string): Command => ({
  path: ["query", verb],
  summary,
  flags: {
    ...NODE_FLAGS,
    "stake-pool-id": { type: "string", value: "POOL", description: "pool id, bech32 or hex" },
    "all-stake-pools": { type: "boolean", description: "every pool" },
    "output-json": { type: "boolean", description: "print JSON (the default)" },
  },
  example: `poolfleet-cli query ${verb} --stake-pool-id pool1... --socket-path node.socket --testnet-magic 42`,
  async run(flags, io) {
    const pool = flags.optionalString("stake-pool-id");
    if ((pool === undefined) === !flags.boolean("all-stake-pools"))
      throw new InputError(`query ${verb}`, "give either --stake-pool-id or --all-stake-pools");
    const filter = pool === undefined ? [] : [[poolIdBytes(pool)]];
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(19, filter)));
    const [current, future, retiring] = currentEraResult(answer!) as Map<Uint8Array, CborValue>[];
    const byHex = (m: Map<Uint8Array, CborValue>) => new Map([...m].map(([k, v]) => [bytesToHex(k), v]));
    const [c, f, r] = [byHex(current!), byHex(future!), byHex(retiring!)];
    const ids = [...new Set([...c.keys(), ...f.keys(), ...r.keys()])].sort();
    const out = ids.map((id) => [
      id,
      {
        futurePoolParams: f.has(id) ? poolParamsJson(f.get(id) as CborValue[]) : null,
        poolParams: c.has(id) ? poolParamsJson(c.get(id) as CborValue[]) : null,
        retiring: r.has(id) ? num(r.get(id)!) : null,
      },
    ]);
    io.out(json(Object.fromEntries(out)));
    return 0;
  },
});

export const queryPoolState = poolStateCommand(
  "pool-state",
  "show a pool's registered parameters, its pending update and its retirement epoch (cardano-cli's JSON)",
);

export const queryPoolParams = poolStateCommand(
  "pool-params",
  "the same as query pool-state (cardano-cli keeps pool-params as its deprecated alias)",
);
