// poolfleet-node's configuration: cardano-node's flags, each also an environment variable POOLFLEET_<FLAG>
// (the flag wins), and the network read from cardano-node's config.json and the genesis files it names.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { hostname } from "node:os";
import { bytesToHex } from "../crypto/bytes.ts";
import { JSON_LIMIT, readInputFile } from "../formats/files.ts";
import { activeSlotCoeff } from "../crypto/leader.ts";
import { readNodeConfig } from "../formats/config-json.ts";
import { InputError } from "../formats/errors.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import { SlotClock } from "../formats/slot-clock.ts";
import { blake2b256 } from "../crypto/hash.ts";
import {
  coinsPerUTxOByteFromAlonzoGenesis,
  type LedgerParams,
  ledgerParamsFromGenesis,
  maxValueSizeFromAlonzoGenesis,
} from "../ledger/params.ts";
import type { ChainRules } from "../consensus/chain-state.ts";
import {
  type GenesisGovernance,
  governanceFromGenesis,
  governanceParamsFromGenesis,
  plutusParamsFromGenesis,
} from "../ledger/genesis-params.ts";
import { slotTimeOf } from "../ledger/plutus/time.ts";
import { DEFAULT_MAX_CAUGHT_UP_AGE_S } from "./readiness.ts";

export const NODE_FLAGS = [
  "config",
  "topology",
  "database-path",
  "socket-path",
  "host-addr",
  "port",
  "shelley-kes-key",
  "shelley-vrf-key",
  "shelley-operational-certificate",
  "shelley-key-bundle",
  "node-name",
  "redundancy-level",
  "takeover-after-missed-slots",
  "pool-lease-dir",
  "pool-lease-namespace",
  "pool-lease-seconds",
  "watch-keys",
  "metrics-port",
  "metrics-host",
  "max-caught-up-age",
  "api-port",
  "api-host",
  "node-to-client-port",
  "node-to-client-host",
] as const;
export type NodeFlag = (typeof NODE_FLAGS)[number];

export function envName(flag: string): string {
  return `POOLFLEET_${flag.toUpperCase().replaceAll("-", "_")}`;
}

export interface NodeOptions {
  readonly configPath: string;
  readonly topologyPath?: string;
  readonly databasePath: string;
  readonly socketPath?: string;
  readonly hostAddr: string;
  readonly port: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  /** Seconds a tip may be old and the node still count as caught up (readiness.ts). */
  readonly maxCaughtUpAgeS: number;
  /**
   * The API listener (/api/*: leader schedule, transaction submission, ledger, peers), kept off the metrics port so
   * that whoever may scrape metrics cannot read a producer's coming leader slots or push transactions. Closed
   * unless --api-port is given; --api-host defaults to 127.0.0.1 like --metrics-host.
   */
  readonly api?: { readonly host: string; readonly port: number };
  /** Node-to-client on TCP too, for clients in the cluster; closed unless --node-to-client-port is given. */
  readonly nodeToClientTcp?: { readonly host: string; readonly port: number };
  readonly keys?: { readonly kes: string; readonly vrf: string; readonly opcert: string };
  /** A directory with one sub-directory of kes.skey, vrf.skey, node.cert per pool (many pools, one node). */
  readonly keyBundle?: string;
  /** --watch-keys: re-read the keys (as on SIGHUP) when their files change, checking this often (ms). */
  readonly watchKeysMs?: number;
  /** The node's display name (logs, metrics; pools in a bundle are "<name>-<index>"); default the host name. */
  readonly nodeName: string;
  /** 0: the main; L > 0: a backup that takes a pool over after L·k of its leader slots went without its block. */
  readonly redundancy: { readonly level: number; readonly missesPerLevel: number };
  /**
   * The pool leases (the fence against two forgers for one pool): a directory shared by the group's nodes, or
   * coordination.k8s.io Leases in a namespace of the cluster the node runs in.
   */
  readonly poolLease?: PoolLeaseOptions;
}

export type PoolLeaseOptions = ({ readonly dir: string } | { readonly namespace: string }) & {
  readonly durationMs: number;
  readonly marginMs: number;
};

/** Merge flags over environment variables; validate. */
export function resolveOptions(flags: Partial<Record<NodeFlag, string>>, env: NodeJS.ProcessEnv): NodeOptions {
  const get = (f: NodeFlag): string | undefined => flags[f] ?? env[envName(f)] ?? undefined;
  const need = (f: NodeFlag): string => {
    const v = get(f);
    if (!v) throw new InputError(`--${f}`, `is required (or set ${envName(f)})`);
    return v;
  };
  const port = (f: NodeFlag, fallback: number): number => {
    const v = get(f);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InputError(`--${f}`, `"${v}" is not a port number (0-65535)`);
    return Number(v);
  };
  const age = get("max-caught-up-age");
  if (age !== undefined && (!/^\d+$/.test(age) || Number(age) < 1))
    throw new InputError("--max-caught-up-age", `"${age}" is not a whole number of seconds (1 or more)`);
  const keyFlags = ["shelley-kes-key", "shelley-vrf-key", "shelley-operational-certificate"] as const;
  const given = keyFlags.filter((f) => get(f));
  if (given.length > 0 && given.length < 3) {
    const missing = keyFlags.filter((f) => !get(f)).map((f) => `--${f}`);
    throw new InputError(
      "producer keys",
      `${missing.join(", ")} missing: a producer needs its KES key, VRF key and operational certificate`,
    );
  }
  const keyBundle = get("shelley-key-bundle");
  if (keyBundle && given.length > 0)
    throw new InputError(
      "--shelley-key-bundle",
      "takes the place of --shelley-kes-key, --shelley-vrf-key and --shelley-operational-certificate: give one or the other",
    );
  // A host name is a fine default when it is a plain label (a pod's is); otherwise "node".
  const host = hostname().split(".")[0]!.slice(0, 63);
  const nodeName = get("node-name") ?? (/^[A-Za-z0-9_-]{1,63}$/.test(host) ? host : "node");
  if (!/^[A-Za-z0-9._-]{1,63}$/.test(nodeName))
    throw new InputError("--node-name", `"${nodeName}" must be 1-63 letters, digits, ".", "_" or "-"`);
  const whole = (f: NodeFlag, fallback: number, min: number, max: number): number => {
    const v = get(f);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new InputError(`--${f}`, `"${v}" must be a whole number from ${min} to ${max}`);
    return Number(v);
  };
  const redundancy = {
    level: whole("redundancy-level", 0, 0, 9),
    missesPerLevel: whole("takeover-after-missed-slots", 3, 1, 1000),
  };
  const leaseDir = get("pool-lease-dir");
  const leaseNamespace = get("pool-lease-namespace");
  if (leaseDir !== undefined && leaseNamespace !== undefined)
    throw new InputError(
      "--pool-lease-namespace",
      "is given with --pool-lease-dir: the group's nodes share one lease store, a directory or a namespace's Leases",
    );
  if (leaseNamespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(leaseNamespace))
    throw new InputError(
      "--pool-lease-namespace",
      `"${leaseNamespace}" is not a namespace name (1-63 lower-case letters, digits or "-", a letter or digit at each end)`,
    );
  const leaseStore =
    leaseDir !== undefined
      ? { dir: leaseDir }
      : leaseNamespace !== undefined
        ? { namespace: leaseNamespace }
        : undefined;
  const leaseSeconds = get("pool-lease-seconds") ?? "30";
  if (!/^\d+(\.\d+)?$/.test(leaseSeconds) || Number(leaseSeconds) < 0.1 || Number(leaseSeconds) > 3600)
    throw new InputError("--pool-lease-seconds", `"${leaseSeconds}" must be a number of seconds from 0.1 to 3600`);
  if (redundancy.level > 0 && !leaseStore)
    throw new InputError(
      "--redundancy-level",
      "a backup (level 1 or more) needs --pool-lease-dir or --pool-lease-namespace, shared with the main: without a lease it could forge beside it",
    );
  const durationMs = Math.round(Number(leaseSeconds) * 1000);
  const watchKeys = get("watch-keys");
  if (watchKeys !== undefined && (!/^\d+$/.test(watchKeys) || Number(watchKeys) < 1 || Number(watchKeys) > 3600))
    throw new InputError("--watch-keys", `"${watchKeys}" must be a whole number of seconds from 1 to 3600`);
  if (watchKeys !== undefined && !keyBundle && given.length === 0)
    throw new InputError("--watch-keys", "is given without keys: a relay has no key files to watch");
  const apiPort = get("api-port") === undefined ? undefined : port("api-port", 0);
  if (apiPort === undefined && get("api-host") !== undefined)
    throw new InputError("--api-host", "is given without --api-port (the API listener is closed without a port)");
  const n2cPort = get("node-to-client-port") === undefined ? undefined : port("node-to-client-port", 0);
  if (n2cPort === undefined && get("node-to-client-host") !== undefined)
    throw new InputError("--node-to-client-host", "is given without --node-to-client-port (closed without a port)");
  return {
    configPath: need("config"),
    keyBundle,
    ...(watchKeys !== undefined ? { watchKeysMs: Number(watchKeys) * 1000 } : {}),
    redundancy,
    // The margin a taker waits beyond the lease: a third of it covers clocks running at rates up to 33% apart.
    ...(leaseStore ? { poolLease: { ...leaseStore, durationMs, marginMs: Math.ceil(durationMs / 3) } } : {}),
    nodeName,
    topologyPath: get("topology"),
    databasePath: need("database-path"),
    socketPath: get("socket-path"),
    hostAddr: get("host-addr") ?? "127.0.0.1",
    port: port("port", 3001),
    metricsHost: get("metrics-host") ?? "127.0.0.1",
    metricsPort: port("metrics-port", 12798),
    maxCaughtUpAgeS: age === undefined ? DEFAULT_MAX_CAUGHT_UP_AGE_S : Number(age),
    ...(apiPort !== undefined ? { api: { host: get("api-host") ?? "127.0.0.1", port: apiPort } } : {}),
    ...(n2cPort !== undefined
      ? { nodeToClientTcp: { host: get("node-to-client-host") ?? "127.0.0.1", port: n2cPort } }
      : {}),
    keys:
      given.length === 3
        ? {
            kes: need("shelley-kes-key"),
            vrf: need("shelley-vrf-key"),
            opcert: need("shelley-operational-certificate"),
          }
        : undefined,
  };
}

export interface Network {
  readonly genesis: ShelleyGenesis;
  readonly clock: SlotClock;
  readonly rules: ChainRules;
  readonly ledgerParams: LedgerParams;
  /** The Conway genesis's committee and constitution, for the ledger at genesis. */
  readonly governance?: GenesisGovernance;
  /** The effective network configuration, for /config. */
  readonly summary: Record<string, unknown>;
}

/** The `<era>GenesisFile` config.json names (its `<era>GenesisHash` checked when stated), parsed, or null. */
function readEraGenesis(
  configPath: string,
  config: Record<string, unknown>,
  era: "Alonzo" | "Conway",
): { path: string; document: unknown } | null {
  const file = config[`${era}GenesisFile`];
  if (file === undefined) return null;
  if (typeof file !== "string") throw new InputError(configPath, `"${era}GenesisFile" must be a file name`);
  const path = resolve(dirname(configPath), file);
  if (!existsSync(path)) throw new InputError(configPath, `${era}GenesisFile ${path} does not exist`);
  const bytes = readInputFile(path, JSON_LIMIT);
  const stated = config[`${era}GenesisHash`];
  if (typeof stated === "string" && stated !== bytesToHex(blake2b256(bytes)))
    throw new InputError(configPath, `${era}GenesisHash ${stated} does not match ${path}`);
  try {
    return { path, document: JSON.parse(bytes.toString("utf8")) };
  } catch {
    throw new InputError(path, `is not valid JSON (expected a${era === "Alonzo" ? "n" : ""} ${era} genesis)`);
  }
}

/**
 * The protocol version the ledger judges by: the Shelley genesis's `protocolParams.protocolVersion` when it is a
 * Conway one (9 or later, as poolfleet's devnets start), otherwise Conway's first, 9.0 (a network replayed from
 * an earlier era's genesis is judged by Conway's rules; its hard forks are not replayed).
 */
function conwayProtocolVersion(genesis: ShelleyGenesis): [number, number] {
  const pv = (genesis.document.protocolParams as { protocolVersion?: { major?: unknown; minor?: unknown } } | undefined)
    ?.protocolVersion;
  const major = typeof pv?.major === "number" ? pv.major : 0;
  const minor = typeof pv?.minor === "number" ? pv.minor : 0;
  return major >= 9 ? [major, minor] : [9, 0];
}

/** Read config.json and the Shelley genesis it names (formats/config-json.ts checks the genesis hash). */
export function loadNetwork(configPath: string): Network {
  const { genesis, genesisPath, conwayFromEpoch, document: config } = readNodeConfig(configPath);
  const clock = new SlotClock(genesis);
  const alonzo = readEraGenesis(configPath, config, "Alonzo");
  const conway = readEraGenesis(configPath, config, "Conway");
  const base = ledgerParamsFromGenesis(
    genesis,
    genesisPath,
    alonzo && coinsPerUTxOByteFromAlonzoGenesis(alonzo.document, alonzo.path),
    alonzo && maxValueSizeFromAlonzoGenesis(alonzo.document, alonzo.path),
  );
  // Plutus needs both genesis files (cost models, prices, limits; PlutusV3 and the reference-script price), and
  // scripts see the validity interval through the Shelley genesis's slot-to-time conversion; governance needs the
  // Conway genesis. Without them the ledger refuses what it cannot judge (UnsupportedFeature).
  const version = conwayProtocolVersion(genesis);
  const ledgerParams: LedgerParams = {
    ...base,
    ...(alonzo &&
      conway && {
        plutus: plutusParamsFromGenesis(alonzo.document, conway.document, version[0], slotTimeOf(genesis), {
          alonzo: alonzo.path,
          conway: conway.path,
        }),
      }),
    ...(conway && { governance: governanceParamsFromGenesis(conway.document, version, conway.path) }),
  };
  const governance = conway ? governanceFromGenesis(conway.document, conway.path) : undefined;
  const rules: ChainRules = {
    params: {
      slotsPerKESPeriod: genesis.slotsPerKESPeriod,
      maxKESEvolutions: genesis.maxKESEvolutions,
      activeSlotCoeff: activeSlotCoeff(genesis.activeSlotsCoeff),
      maxMajorProtocolVersion: 10,
    },
    clock,
    securityParam: genesis.securityParam,
    conwayFromEpoch,
  };
  return {
    genesis,
    clock,
    ledgerParams,
    ...(governance && { governance }),
    rules,
    summary: {
      networkMagic: genesis.networkMagic,
      systemStart: genesis.systemStart.toISOString(),
      slotLengthMs: genesis.slotLengthMs,
      epochLength: genesis.epochLength,
      securityParam: genesis.securityParam,
      activeSlotsCoeff: `${genesis.activeSlotsCoeff.num}/${genesis.activeSlotsCoeff.den}`,
      slotsPerKESPeriod: genesis.slotsPerKESPeriod,
      maxKESEvolutions: genesis.maxKESEvolutions,
      shelleyGenesisHash: bytesToHex(genesis.hash),
      coinsPerUTxOByte: ledgerParams.coinsPerUTxOByte === null ? null : Number(ledgerParams.coinsPerUTxOByte),
      plutusLanguages: [...(ledgerParams.plutus?.costModels.keys() ?? [])].map((v) => `PlutusV${v}`),
      protocolVersion: ledgerParams.governance
        ? `${ledgerParams.governance.protocolMajor}.${ledgerParams.governance.protocolMinor}`
        : null,
      pools: Object.keys((genesis.document.staking as { pools?: object } | undefined)?.pools ?? {}).length,
    },
  };
}
