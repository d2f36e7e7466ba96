// poolfleet-node's configuration: cardano-node's flags, each also an environment variable POOLFLEET_<FLAG>
// (the flag wins), and the network read from cardano-node's config.json and the genesis files it names.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { bytesToHex } from "../crypto/bytes.ts";
import { activeSlotCoeff } from "../crypto/leader.ts";
import { InputError } from "../formats/errors.ts";
import { readShelleyGenesis, type ShelleyGenesis } from "../formats/genesis.ts";
import { SlotClock } from "../formats/slot-clock.ts";
import { type LedgerParams, ledgerParamsFromGenesis } from "../ledger/params.ts";
import type { ChainRules } from "../consensus/chain-state.ts";
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
  "metrics-port",
  "metrics-host",
  "max-caught-up-age",
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
  readonly keys?: { readonly kes: string; readonly vrf: string; readonly opcert: string };
}

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
  return {
    configPath: need("config"),
    topologyPath: get("topology"),
    databasePath: need("database-path"),
    socketPath: get("socket-path"),
    hostAddr: get("host-addr") ?? "127.0.0.1",
    port: port("port", 3001),
    metricsHost: get("metrics-host") ?? "127.0.0.1",
    metricsPort: port("metrics-port", 12798),
    maxCaughtUpAgeS: age === undefined ? DEFAULT_MAX_CAUGHT_UP_AGE_S : Number(age),
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
  /** The effective network configuration, for /config. */
  readonly summary: Record<string, unknown>;
}

/** Read config.json and the Shelley genesis it names; check the genesis hash it states. */
export function loadNetwork(configPath: string): Network {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      configPath,
      code === "ENOENT" ? "file not found" : "is not valid JSON (expected cardano-node's config.json)",
    );
  }
  const file = config.ShelleyGenesisFile;
  if (typeof file !== "string") throw new InputError(configPath, 'has no "ShelleyGenesisFile"');
  const genesisPath = resolve(dirname(configPath), file);
  if (!existsSync(genesisPath)) throw new InputError(configPath, `ShelleyGenesisFile ${genesisPath} does not exist`);
  const genesis = readShelleyGenesis(genesisPath);
  const stated = config.ShelleyGenesisHash;
  if (typeof stated === "string" && stated !== bytesToHex(genesis.hash)) {
    throw new InputError(
      configPath,
      `ShelleyGenesisHash ${stated} does not match ${genesisPath} (${bytesToHex(genesis.hash)})`,
    );
  }
  const clock = new SlotClock(genesis);
  const ledgerParams = ledgerParamsFromGenesis(genesis, genesisPath);
  const rules: ChainRules = {
    params: {
      slotsPerKESPeriod: genesis.slotsPerKESPeriod,
      maxKESEvolutions: genesis.maxKESEvolutions,
      activeSlotCoeff: activeSlotCoeff(genesis.activeSlotsCoeff),
      maxMajorProtocolVersion: 10,
    },
    clock,
    securityParam: genesis.securityParam,
    conwayFromEpoch: typeof config.TestConwayHardForkAtEpoch === "number" ? config.TestConwayHardForkAtEpoch : 0,
  };
  return {
    genesis,
    clock,
    ledgerParams,
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
      pools: Object.keys((genesis.document.staking as { pools?: object } | undefined)?.pools ?? {}).length,
    },
  };
}
