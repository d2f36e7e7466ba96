// `genesis create`: a devnet in Cardano's formats, with every pool's key set, ready for poolfleet-node.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex, wipe } from "../../crypto/bytes.ts";
import { ed25519PublicKey } from "../../crypto/ed25519.ts";
import { parseRational, type Rational } from "../../crypto/rational.ts";
import {
  createDevnet,
  type Devnet,
  DEVNET_DEFAULTS,
  type DevnetOptions,
  type PoolKeySet,
} from "../../formats/devnet-genesis.ts";
import { InputError } from "../../formats/errors.ts";
import { KEY_KINDS } from "../../formats/keys.ts";
import { counterOutput, keyOutput, opcertOutput, writeEnvelopes } from "../../formats/outputs.ts";
import { topologyJson } from "../../formats/topology.ts";
import type { Command, Flags } from "../command.ts";
import { parseTime } from "./time.ts";

function rationalFlag(flags: Flags, name: string, fallback: Rational): Rational {
  const text = flags.optionalString(name);
  if (text === undefined) return fallback;
  try {
    const r = parseRational(text);
    if (r.num <= 0n) throw new Error("must be above 0");
    return r;
  } catch (error) {
    throw new InputError(`--${name}`, (error as Error).message);
  }
}

export function writePoolKeys(dir: string, pool: PoolKeySet): void {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  // A pool's files all or none: a failure part-way never leaves half a key set behind.
  writeEnvelopes([
    keyOutput(f("cold.skey"), KEY_KINDS.coldSigning, pool.coldSeed),
    keyOutput(f("cold.vkey"), KEY_KINDS.coldVerification, pool.coldVkey),
    counterOutput(f("cold.counter"), pool.counter, false),
    keyOutput(f("kes.skey"), KEY_KINDS.kesSigning, pool.kesKey),
    keyOutput(f("kes.vkey"), KEY_KINDS.kesVerification, pool.kesVkey),
    keyOutput(f("vrf.skey"), KEY_KINDS.vrfSigning, pool.vrfKey),
    keyOutput(f("vrf.vkey"), KEY_KINDS.vrfVerification, pool.vrfVkey),
    opcertOutput(f("node.cert"), pool.opcert, false),
    keyOutput(f("payment.skey"), KEY_KINDS.paymentSigning, pool.paymentSeed),
    keyOutput(f("payment.vkey"), KEY_KINDS.paymentVerification, ed25519PublicKey(pool.paymentSeed)),
    keyOutput(f("stake.skey"), KEY_KINDS.stakeSigning, pool.stakeSeed),
    keyOutput(f("stake.vkey"), KEY_KINDS.stakeVerification, ed25519PublicKey(pool.stakeSeed)),
  ]);
}

/** Write a devnet's files under `out` (which must be absent or empty); secrets are wiped from memory after. */
export function writeDevnet(out: string, devnet: Devnet): string[] {
  const lines: string[] = [];
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "shelley-genesis.json"), devnet.shelleyGenesis);
  writeFileSync(join(out, "alonzo-genesis.json"), devnet.alonzoGenesis);
  writeFileSync(join(out, "conway-genesis.json"), devnet.conwayGenesis);
  writeFileSync(join(out, "config.json"), devnet.config);
  writeFileSync(join(out, "topology.json"), topologyJson([]));
  for (const pool of devnet.pools) {
    writePoolKeys(join(out, "pools", pool.name), pool);
    lines.push(`${pool.name}: pool id ${bytesToHex(pool.poolId)} (keys in ${join(out, "pools", pool.name)})`);
    for (const secret of [pool.coldSeed, pool.kesKey, pool.vrfKey, pool.paymentSeed, pool.stakeSeed]) wipe(secret);
  }
  return lines;
}

/** The genesis parameters `genesis create` and `devnet up` share, each with a fast-devnet default. */
export const GENESIS_FLAGS: Command["flags"] = {
  "slot-length": { type: "string", value: "S", description: `slot length in seconds (default 0.2)` },
  "epoch-length": {
    type: "string",
    value: "N",
    description: `slots per epoch (default ${DEVNET_DEFAULTS.epochLength})`,
  },
  "security-param": { type: "string", value: "K", description: `k (default ${DEVNET_DEFAULTS.securityParam})` },
  "active-slot-coeff": { type: "string", value: "F", description: "active slot coefficient (default 0.1)" },
  "start-time": { type: "string", value: "RFC3339", description: "system start (default: now)" },
  "network-magic": {
    type: "string",
    value: "N",
    description: `network magic (default ${DEVNET_DEFAULTS.networkMagic})`,
  },
  "slots-per-kes-period": { type: "string", value: "N", description: `default ${DEVNET_DEFAULTS.slotsPerKESPeriod}` },
  "max-kes-evolutions": { type: "string", value: "N", description: `default ${DEVNET_DEFAULTS.maxKESEvolutions}` },
};

/** Devnet options from the genesis flags (defaults from DEVNET_DEFAULTS; start time now). */
export function devnetOptions(flags: Flags, pools: number): DevnetOptions {
  const natural = (name: string, fallback: number, min = 1) => {
    const v = flags.optionalNatural(name) ?? fallback;
    if (v < min) throw new InputError(`--${name}`, `must be at least ${min}`);
    return v;
  };
  const startFlag = flags.optionalString("start-time");
  const startTime = startFlag ? parseTime(startFlag, "--start-time") : new Date(Math.floor(Date.now() / 1000) * 1000);
  const f = rationalFlag(flags, "active-slot-coeff", DEVNET_DEFAULTS.activeSlotCoeff);
  if (f.num > f.den) throw new InputError("--active-slot-coeff", "must be at most 1");
  return {
    pools,
    slotLengthS: rationalFlag(flags, "slot-length", DEVNET_DEFAULTS.slotLengthS),
    epochLength: natural("epoch-length", DEVNET_DEFAULTS.epochLength),
    securityParam: natural("security-param", DEVNET_DEFAULTS.securityParam),
    activeSlotCoeff: f,
    startTime,
    networkMagic: natural("network-magic", DEVNET_DEFAULTS.networkMagic, 0),
    slotsPerKESPeriod: natural("slots-per-kes-period", DEVNET_DEFAULTS.slotsPerKESPeriod),
    maxKESEvolutions: natural("max-kes-evolutions", DEVNET_DEFAULTS.maxKESEvolutions),
    stakePerPool: DEVNET_DEFAULTS.stakePerPool,
  };
}

/** Create a devnet, turning a parameter the generator refuses into an input error. */
export function createDevnetFromOptions(options: DevnetOptions): Devnet {
  try {
    return createDevnet(options);
  } catch (error) {
    throw new InputError("genesis", (error as Error).message);
  }
}

export const genesisCreate: Command = {
  path: ["genesis", "create"],
  summary: "create a local devnet: genesis files, config.json, topology.json and a key set per pool",
  flags: {
    pools: {
      type: "string",
      required: true,
      value: "N",
      description: "number of stake pools (each leads from epoch 0)",
    },
    "out-dir": {
      type: "string",
      required: true,
      value: "DIR",
      description: "where to write (must be absent or empty)",
    },
    ...GENESIS_FLAGS,
  },
  example: "poolfleet-cli genesis create --pools 2 --out-dir ./devnet --slot-length 0.2 --epoch-length 500",
  run(flags, io) {
    const out = flags.string("out-dir");
    if (existsSync(out) && readdirSync(out).length > 0) {
      throw new InputError(out, "is not empty; refusing to overwrite a devnet (choose another --out-dir)");
    }
    const pools = flags.natural("pools");
    if (pools < 1 || pools > 100) throw new InputError("--pools", "must be between 1 and 100");
    const options = devnetOptions(flags, pools);
    const devnet = createDevnetFromOptions(options);
    for (const line of writeDevnet(out, devnet)) io.out(line);
    io.out(`devnet genesis written to ${out} (system start ${options.startTime.toISOString()})`);
    return 0;
  },
};
