// `query kes-period-info` and `query leadership-schedule`.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { splitRange } from "../../consensus/leadership.ts";
import { bytesToHex, hexToBytes, wipe } from "../../crypto/bytes.ts";
import { type Rational, compareRational, formatRational, parseRational } from "../../crypto/rational.ts";
import { InputError } from "../../formats/errors.ts";
import { readShelleyGenesis, type ShelleyGenesis } from "../../formats/genesis.ts";
import { KEY_KINDS, readKeyFile } from "../../formats/keys.ts";
import { formatDuration, kesWindow } from "../../keys/kes-schedule.ts";
import { poolIdOf, readOperationalCertificate } from "../../formats/opcert.ts";
import { SlotClock } from "../../formats/slot-clock.ts";
import { vrfSecretKeyFromBytes } from "../../crypto/vrf.ts";
import type { Command, Flags, Output } from "../command.ts";
import { NODE_FLAGS, nodeTarget } from "../local-node.ts";
import { kesPeriodInfoFromNode } from "./kes-period-node.ts";
import { nodeLeadershipInputs } from "./leadership-node.ts";
import { poolIdBytes } from "./query-node.ts";
import type { LeadershipJob, LeadershipMessage } from "../leadership-worker.ts";
import { formatUtc, parseTime } from "./time.ts";

/** ".ts" when running the sources, ".js" in the image's compiled dist/: the worker file has the same. */
const OWN_EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

export const queryKesPeriodInfo: Command = {
  path: ["query", "kes-period-info"],
  summary: "show an operational certificate's KES window: current period, start, end, time left, expiry date",
  flags: {
    "op-cert-file": { type: "string", required: true, value: "FILE", description: "the operational certificate" },
    "shelley-genesis": {
      type: "string",
      value: "FILE",
      description: "the network's Shelley genesis (needed offline; with a node, read from it unless given)",
    },
    at: { type: "string", value: "RFC3339", description: "evaluate at this time instead of now (offline form)" },
    "output-json": { type: "boolean", description: "print JSON (offline form)" },
    ...NODE_FLAGS,
    "out-file": { type: "string", value: "FILE", description: "with a node: write cardano-cli's JSON here" },
  },
  example: "poolfleet-cli query kes-period-info --op-cert-file node.cert --shelley-genesis shelley-genesis.json",
  run(flags, io) {
    const certPath = flags.string("op-cert-file");
    const cert = readOperationalCertificate(certPath);
    const genesisPath = flags.optionalString("shelley-genesis");
    // With a node (cardano-cli's form): the tip's KES period and the on-chain counter check.
    if (
      ["socket-path", "testnet-magic"].some((f) => flags.optionalString(f) !== undefined) ||
      flags.boolean("mainnet")
    ) {
      if (flags.optionalString("at") !== undefined)
        throw new InputError("--at", "is the offline form's: the node's tip is now");
      const genesisFile = genesisPath === undefined ? undefined : readShelleyGenesis(genesisPath);
      return kesPeriodInfoFromNode(
        nodeTarget(flags),
        certPath,
        cert,
        genesisFile,
        flags.optionalString("out-file"),
        io,
      );
    }
    if (genesisPath === undefined)
      throw new InputError("--shelley-genesis", "is required without a node (--socket-path or --testnet-magic)");
    const genesis = readShelleyGenesis(genesisPath);
    const clock = new SlotClock(genesis);
    const at = parseTime(flags.optionalString("at"), "--at");
    const w = kesWindow(cert, clock, at);
    if (Number.isNaN(w.expiresAt.getTime()) || !Number.isSafeInteger(w.end)) {
      throw new InputError(
        certPath,
        `starts at KES period ${w.start}, so its window would end after the last representable date ` +
          `(year 275760): no certificate for this network can start there (was --kes-period mistyped?)`,
      );
    }
    const status = w.current < w.start ? "not-yet-valid" : w.current >= w.end ? "expired" : "valid";
    const info = {
      opcert: certPath,
      poolId: bytesToHex(poolIdOf(cert.coldVkey)),
      issueNumber: cert.sequenceNumber,
      at: at.toISOString(),
      currentSlot: w.currentSlot,
      currentKesPeriod: w.current,
      startKesPeriod: w.start,
      endKesPeriod: w.end,
      periodsRemaining: status === "valid" ? w.end - w.current : 0,
      secondsRemaining: Math.max(0, Math.floor(w.msLeft / 1000)),
      expiresAt: w.expiresAt.toISOString(),
      status,
    };
    if (flags.boolean("output-json")) {
      io.out(JSON.stringify(info, null, 2));
      return 0;
    }
    const rows: [string, string][] = [
      ["pool id", info.poolId],
      ["issue number", `${info.issueNumber}`],
      ["current KES period", `${w.current} (slot ${w.currentSlot}, ${formatUtc(at.getTime())})`],
      ["certificate start period", `${w.start}`],
      ["certificate end period", `${w.end} (valid through period ${w.end - 1})`],
      ["periods remaining", `${info.periodsRemaining}`],
      ["time remaining", status === "valid" ? formatDuration(w.msLeft) : "none"],
      ["expires", formatUtc(w.expiresAt.getTime())],
      ["status", status],
    ];
    io.out(certPath);
    for (const [k, v] of rows) io.out(`  ${k.padEnd(26)}${v}`);
    return 0;
  },
};

function parseFraction(text: string, where: string, max: Rational, allowZero: boolean): Rational {
  let r: Rational;
  try {
    r = parseRational(text);
  } catch (error) {
    throw new InputError(where, (error as Error).message);
  }
  if (r.num < 0n || (!allowZero && r.num === 0n) || compareRational(r, max) > 0) {
    throw new InputError(where, `${text} must be ${allowZero ? "between 0 and 1" : "above 0 and at most 1"}`);
  }
  return r;
}

export const queryLeadershipSchedule: Command = {
  path: ["query", "leadership-schedule"],
  summary: "list the slots a pool leads in an epoch, from its VRF key, the epoch nonce and its relative stake",
  flags: {
    "vrf-signing-key-file": {
      type: "string",
      required: true,
      value: "FILE",
      description: "the pool's VRF signing key",
    },
    "epoch-nonce": { type: "string", value: "HEX", description: "the epoch nonce (32 bytes hex; offline form)" },
    "epoch-start-slot": { type: "string", value: "N", description: "the epoch's first slot (offline form)" },
    "epoch-length": { type: "string", value: "N", description: "slots in the epoch (default: from --shelley-genesis)" },
    "relative-stake": {
      type: "string",
      value: "R",
      description: "the pool's share of active stake, e.g. 0.0012 or 2167067591783/1259333994152147 (offline form)",
    },
    current: { type: "boolean", description: "this epoch: nonce and stake from the node (needs --socket-path)" },
    next: { type: "boolean", description: "the next epoch, once its nonce is fixed (needs --socket-path)" },
    "stake-pool-id": { type: "string", value: "POOL", description: "the pool (bech32 or hex), with --current/--next" },
    genesis: {
      type: "string",
      value: "FILE",
      description: "the Shelley genesis (cardano-cli's name for --shelley-genesis)",
    },
    ...NODE_FLAGS,
    "active-slot-coeff": {
      type: "string",
      value: "F",
      description: "active slot coefficient, e.g. 0.05 or 1/20 (default: from --shelley-genesis)",
    },
    "shelley-genesis": {
      type: "string",
      value: "FILE",
      description: "the network's Shelley genesis (adds slot times)",
    },
    "output-json": { type: "boolean", description: "print cardano-cli's JSON: [{slotNumber, slotTime}]" },
  },
  example:
    "poolfleet-cli query leadership-schedule --vrf-signing-key-file vrf.skey --epoch-nonce 4ef95a10f639d0cf16bb963c3a580d4bf2a95b6ae7848702665884843e3c661d --epoch-start-slot 134092800 --epoch-length 432000 --relative-stake 0.0015 --active-slot-coeff 0.05",
  async run(flags, io) {
    const vrfBytes = readKeyFile(flags.string("vrf-signing-key-file"), KEY_KINDS.vrfSigning);
    let seed: Uint8Array;
    try {
      seed = Uint8Array.from(vrfSecretKeyFromBytes(vrfBytes).seed);
    } catch (error) {
      throw new InputError(flags.string("vrf-signing-key-file"), (error as Error).message);
    } finally {
      wipe(vrfBytes);
    }
    const genesisPath = flags.optionalString("shelley-genesis") ?? flags.optionalString("genesis");
    const genesis: ShelleyGenesis | undefined = genesisPath ? readShelleyGenesis(genesisPath) : undefined;
    const { start, length, sigma, f, nonce } = await scheduleInputs(flags, genesis, genesisPath);
    const slots = await runWorkers({ seed, epochNonce: nonce, from: start, to: start + length, sigma, f }, io);
    wipe(seed);
    const clock = genesis ? new SlotClock(genesis) : undefined;
    const time = (slot: number) =>
      clock ? new Date(clock.timeOfSlot(slot)).toISOString().replace(".000Z", "Z") : undefined;
    if (flags.boolean("output-json")) {
      io.out(
        JSON.stringify(
          slots.map((s) => ({ slotNumber: s, ...(clock && { slotTime: time(s) }) })),
          null,
          2,
        ),
      );
    } else {
      io.out(`${"SlotNo".padStart(11)}${clock ? "UTC Time".padStart(33) : ""}`);
      io.out("-".repeat(clock ? 61 : 24));
      for (const s of slots)
        io.out(`${String(s).padStart(11)}${clock ? formatUtc(clock.timeOfSlot(s)).padStart(33) : ""}`);
    }
    io.err(
      `${slots.length} leader slot(s) in slots ${start}..${start + length - 1} ` +
        `(relative stake ${formatRational(sigma)}, f ${formatRational(f)})`,
    );
    return 0;
  },
};

/** The epoch, nonce and stake: from the node (--current, --next) or as typed (the offline form). */
async function scheduleInputs(flags: Flags, genesis: ShelleyGenesis | undefined, genesisPath: string | undefined) {
  const online = flags.boolean("current") || flags.boolean("next");
  if (flags.boolean("current") && flags.boolean("next"))
    throw new InputError("query leadership-schedule", "give one of --current and --next");
  if (online) {
    for (const typed of ["epoch-nonce", "epoch-start-slot", "epoch-length", "relative-stake", "active-slot-coeff"])
      if (flags.optionalString(typed) !== undefined)
        throw new InputError(`--${typed}`, "comes from the node with --current/--next: leave it out");
    if (!genesis) throw new InputError("--genesis", "is required with --current/--next (the Shelley genesis)");
    const pool = flags.optionalString("stake-pool-id");
    if (pool === undefined) throw new InputError("--stake-pool-id", "is required with --current/--next");
    const got = await nodeLeadershipInputs(nodeTarget(flags), poolIdBytes(pool), flags.boolean("next"), genesis);
    checkSlotRange(got.start, got.length, "the node's era history");
    return { ...got, f: genesis.activeSlotsCoeff };
  }
  const nonceHex = flags.optionalString("epoch-nonce");
  if (nonceHex === undefined)
    throw new InputError("--epoch-nonce", "is required (or give --current/--next with --socket-path)");
  if (!/^[0-9a-fA-F]{64}$/.test(nonceHex))
    throw new InputError("--epoch-nonce", "must be 64 hex characters (32 bytes)");
  if (flags.optionalString("epoch-start-slot") === undefined)
    throw new InputError("--epoch-start-slot", "is required (or give --current/--next with --socket-path)");
  const start = flags.natural("epoch-start-slot");
  const length = flags.optionalNatural("epoch-length") ?? genesis?.epochLength;
  if (length === undefined) throw new InputError("--epoch-length", "is required when no --shelley-genesis is given");
  if (length === 0) throw new InputError("--epoch-length", "must be at least 1");
  const lengthFrom = flags.optionalString("epoch-length") === undefined ? `${genesisPath} epochLength` : undefined;
  checkSlotRange(start, length, lengthFrom ?? "--epoch-length");
  const fText = flags.optionalString("active-slot-coeff");
  const f = fText
    ? parseFraction(fText, "--active-slot-coeff", { num: 1n, den: 1n }, false)
    : genesis?.activeSlotsCoeff;
  if (!f) throw new InputError("--active-slot-coeff", "is required when no --shelley-genesis is given");
  const relative = flags.optionalString("relative-stake");
  if (relative === undefined)
    throw new InputError("--relative-stake", "is required (or give --current/--next with --socket-path)");
  const sigma = parseFraction(relative, "--relative-stake", { num: 1n, den: 1n }, true);
  return { start, length, sigma, f, nonce: hexToBytes(nonceHex) as Uint8Array | null };
}

/** Over 23 mainnet epochs (432000 slots): a schedule past this is a typo, not an epoch, and would run for hours. */
export const MAX_EPOCH_LENGTH = 10_000_000;

/** Every slot evaluated must be an exact integer, and the work bounded (a slot past 2^53 never advances). */
function checkSlotRange(start: number, length: number, lengthFrom: string): void {
  if (length > MAX_EPOCH_LENGTH) {
    throw new InputError(
      lengthFrom,
      `${length} slots is more than ${MAX_EPOCH_LENGTH} (mainnet's epoch is 432000 slots)`,
    );
  }
  if (start + length - 1 > Number.MAX_SAFE_INTEGER) {
    throw new InputError(
      "--epoch-start-slot",
      `${start} plus ${length} slots goes past slot ${Number.MAX_SAFE_INTEGER}, the largest slot handled exactly`,
    );
  }
}

async function runWorkers(job: LeadershipJob, io: Output): Promise<number[]> {
  const ranges = splitRange(job, Math.min(availableParallelism(), Math.ceil((job.to - job.from) / 2000)));
  const total = job.to - job.from;
  const done = new Array<number>(ranges.length).fill(0);
  let lastShown = -1;
  const show = () => {
    const sum = done.reduce((a, b) => a + b, 0);
    const pct = Math.floor((sum * 100) / total);
    if (pct !== lastShown) {
      lastShown = pct;
      io.progress(`leadership schedule: ${pct}% (${sum}/${total} slots, ${ranges.length} workers)`);
    }
  };
  const results = await Promise.all(
    ranges.map(
      (range, i) =>
        new Promise<number[]>((resolve, reject) => {
          const worker = new Worker(new URL(`../leadership-worker${OWN_EXTENSION}`, import.meta.url), {
            workerData: { ...job, ...range } satisfies LeadershipJob,
          });
          worker.on("message", (m: LeadershipMessage) => {
            if (m.type === "progress") {
              done[i] = m.done;
              show();
            } else resolve(m.slots);
          });
          worker.on("error", reject);
          worker.on("exit", (code) => {
            if (code !== 0) reject(new Error(`leadership worker exited with code ${code}`));
          });
        }),
    ),
  );
  io.progress("");
  return results.flat().sort((a, b) => a - b);
}
