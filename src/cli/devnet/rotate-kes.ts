// `devnet rotate-kes`: a devnet pool's KES rotation with the operator's own pieces. A new KES key, an opcert
// signed with the pool's cold key (devnets keep it on disk) carrying the next counter at the KES period the
// genesis and the clock give, the rotation gate, an atomic swap of the producer's hot files (keyset-swap.ts),
// then SIGHUP and the producer's own verdict read from its log. A gate failure writes nothing; a producer that
// refuses the new set gets the previous one back. Messages carry hashes and numbers only, never key bytes.
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex, wipe } from "../../crypto/bytes.ts";
import { ed25519PublicKey } from "../../crypto/ed25519.ts";
import { KesSigningKey } from "../../crypto/kes.ts";
import { InputError } from "../../formats/errors.ts";
import { readShelleyGenesis } from "../../formats/genesis.ts";
import { KEY_KINDS, readKeyFile } from "../../formats/keys.ts";
import { keyHash } from "../../keys/consistency.ts";
import {
  issueOperationalCertificate,
  type OperationalCertificate,
  poolIdOf,
  readIssueCounter,
  readOperationalCertificate,
} from "../../formats/opcert.ts";
import { counterOutput, keyOutput, opcertOutput, writeEnvelopes } from "../../formats/outputs.ts";
import { SlotClock } from "../../formats/slot-clock.ts";
import { checkRotation, lastCounter } from "../../keys/rotation-gate.ts";
import type { Output } from "../command.ts";
import { KeySetDir } from "./keyset-swap.ts";
import { type DevnetNode, type DevnetPlan, devnetPaths } from "./plan.ts";
import { isAlive, runningPid } from "./processes.ts";

export interface RotateKesOptions {
  readonly dir: string;
  readonly plan: DevnetPlan;
  readonly pool: string;
  readonly io: Output;
  /** The clock the KES period is computed from (tests inject one; default: now). */
  readonly now?: () => Date;
  /** Deploy this KES key and certificate (made elsewhere, e.g. signed offline) instead of making new ones. */
  readonly bring?: { readonly kesKeyFile: string; readonly opcertFile: string };
  /** How long to wait for the producer's verdict after SIGHUP. */
  readonly reloadTimeoutMs?: number;
}

interface Staged {
  readonly kesKey: Uint8Array;
  readonly kesVkey: Uint8Array;
  readonly cert: OperationalCertificate;
  readonly kesName: string;
  readonly certName: string;
}

export async function rotateKes(o: RotateKesOptions): Promise<number> {
  const { dir, plan, pool, io } = o;
  const producer = plan.nodes.find((n) => n.pool === pool && n.role === "producer");
  if (!producer) {
    const pools = [...new Set(plan.nodes.map((n) => n.pool))].join(", ");
    throw new InputError(pool, `no such pool in the devnet in ${dir} (pools: ${pools})`);
  }
  const paths = devnetPaths(dir);
  const poolDir = paths.poolKeys(pool);
  const release = lock(join(poolDir, ".rotate-kes.lock"));
  try {
    const clock = new SlotClock(readShelleyGenesis(join(paths.genesis, "shelley-genesis.json")));
    const now = (o.now ?? (() => new Date()))();
    const period = clock.kesPeriodOfSlot(clock.slotAt(now.getTime()));
    const coldVkey = readKeyFile(join(poolDir, "cold.vkey"), KEY_KINDS.coldVerification);
    const previous = readOperationalCertificate(join(poolDir, "node.cert"));
    const onChain = await counterOnChain(plan, producer, bytesToHex(poolIdOf(coldVkey)));
    const last = lastCounter({ onChain, previousOpcert: previous.sequenceNumber })!;
    io.out(
      `${pool}: KES period now ${period}; the producer's certificate carries issue number ${previous.sequenceNumber} ` +
        `from period ${previous.kesPeriod} (KES key ${keyHash(previous.hotVkey)}); ` +
        (onChain !== undefined
          ? `the chain's last issue number for the pool is ${onChain}`
          : runningPid(paths.pid(producer.name)) === null
            ? "the producer is not running, so the chain's last issue number is not known"
            : "the producer did not report the chain's last issue number"),
    );
    const staged = o.bring ? bring(o.bring) : make(poolDir, coldVkey, last.value + 1, period);
    try {
      const verdict = checkRotation({
        opcert: { cert: staged.cert, name: staged.certName },
        stagedKes: { signingKey: staged.kesKey, name: staged.kesName },
        coldVerificationKey: { bytes: coldVkey, name: join(poolDir, "cold.vkey") },
        last,
        clock,
        now,
      });
      for (const c of verdict.checks) io.out(`  ${c.status === "pass" ? "PASS" : "FAIL"}  ${c.message}`);
      if (!verdict.accepted) {
        const failed = verdict.checks.filter((c) => c.status === "fail").map((c) => c.check);
        io.err(
          `poolfleet-cli: ${staged.certName} refused by the rotation gate (failed: ${failed.join(", ")}; see FAIL ` +
            `above); nothing was changed and the producer keeps its keys`,
        );
        return 1;
      }
      const keys = new KeySetDir(poolDir);
      const swapped = keys.swap((d) => {
        writeEnvelopes([
          keyOutput(join(d, "kes.skey"), KEY_KINDS.kesSigning, staged.kesKey),
          keyOutput(join(d, "kes.vkey"), KEY_KINDS.kesVerification, staged.kesVkey),
          opcertOutput(join(d, "node.cert"), staged.cert, false),
        ]);
      });
      advanceCounter(join(poolDir, "cold.counter"), staged.cert);
      io.out(
        `${pool}: new key set ${swapped.current} in place (KES key ${keyHash(staged.kesVkey)}, issue number ` +
          `${staged.cert.sequenceNumber}, KES period ${staged.cert.kesPeriod}); previous set kept as ${swapped.previous}`,
      );
      return await reload(o, producer.name, keys, staged.cert.sequenceNumber, previous.sequenceNumber);
    } finally {
      wipe(staged.kesKey);
    }
  } finally {
    release();
  }
}

/**
 * The last issue number the producer's chain has seen for the pool (0 when it has seen none: the ledger then
 * accepts 0 or 1), from its /api/ledger on the API port; undefined when the producer is not running or does not
 * answer (or has no API port: a devnet planned before nodes had one).
 */
async function counterOnChain(plan: DevnetPlan, producer: DevnetNode, poolId: string): Promise<number | undefined> {
  if (producer.apiPort === undefined) return undefined;
  try {
    const res = await fetch(`http://${plan.host}:${producer.apiPort}/api/ledger`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { opcertCounters?: Record<string, string> };
    if (!body.opcertCounters) return undefined;
    const seen = body.opcertCounters[poolId];
    return seen === undefined ? 0 : Number(seen);
  } catch {
    return undefined;
  }
}

/** A new KES key and a certificate for it, signed with the pool's cold key. */
function make(poolDir: string, coldVkey: Uint8Array, counter: number, period: number): Staged {
  const coldPath = join(poolDir, "cold.skey");
  const coldSeed = readKeyFile(coldPath, KEY_KINDS.coldSigning);
  const seed = Uint8Array.from(randomBytes(32));
  const kes = KesSigningKey.generate(seed);
  wipe(seed);
  try {
    if (keyHash(ed25519PublicKey(coldSeed)) !== keyHash(coldVkey))
      throw new InputError(coldPath, "is not the signing half of cold.vkey beside it");
    return {
      kesKey: kes.toBytes(),
      kesVkey: kes.verificationKey,
      cert: issueOperationalCertificate(coldSeed, kes.verificationKey, counter, period),
      kesName: "new kes.skey",
      certName: "new node.cert",
    };
  } finally {
    kes.wipe();
    wipe(coldSeed);
  }
}

function bring(files: { kesKeyFile: string; opcertFile: string }): Staged {
  const kesKey = readKeyFile(files.kesKeyFile, KEY_KINDS.kesSigning);
  let kes: KesSigningKey;
  try {
    kes = KesSigningKey.fromBytes(kesKey);
  } catch (error) {
    wipe(kesKey);
    throw new InputError(files.kesKeyFile, (error as Error).message);
  }
  const kesVkey = kes.verificationKey;
  kes.wipe();
  return {
    kesKey,
    kesVkey,
    cert: readOperationalCertificate(files.opcertFile),
    kesName: files.kesKeyFile,
    certName: files.opcertFile,
  };
}

/** Keep cold.counter ahead of the certificate just deployed, as issue-op-cert would have left it. */
function advanceCounter(path: string, cert: OperationalCertificate): void {
  const counter = readIssueCounter(path);
  if (counter.nextIssueNumber <= cert.sequenceNumber)
    writeEnvelopes([
      counterOutput(path, { nextIssueNumber: cert.sequenceNumber + 1, coldVkey: counter.coldVkey }, true),
    ]);
}

/** One rotation per pool at a time; a lock left by a process that died is taken over. */
function lock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(path, "utf8").trim());
      if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder))
        throw new InputError(path, `a rotation of this pool is already in flight (pid ${holder}); wait for it`);
      rmSync(path, { force: true });
    }
  }
  throw new InputError(path, "cannot take the rotation lock");
}

type Verdict = { kind: "forging"; counter: number } | { kind: "refused"; reason: string } | { kind: "silent" };

/** SIGHUP the producer and read its verdict on the keys from its log (the lines after the signal). */
async function signalAndWait(dir: string, name: string, timeoutMs: number): Promise<Verdict | null> {
  const paths = devnetPaths(dir);
  const pid = runningPid(paths.pid(name));
  if (pid === null) return null;
  const logFile = paths.log(name);
  const from = statSync(logFile).size;
  process.kill(pid, "SIGHUP");
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const text = readFileSync(logFile).subarray(from).toString("utf8");
    for (const line of text.split("\n")) {
      let entry: { msg?: string; opcertIssueNumber?: number; reason?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.msg?.startsWith("producer keys pass the consistency gate"))
        return { kind: "forging", counter: entry.opcertIssueNumber ?? -1 };
      if (entry.msg?.startsWith("producer keys refused by the consistency gate"))
        return { kind: "refused", reason: entry.reason ?? "no reason given" };
    }
  }
  return { kind: "silent" };
}

async function reload(
  o: RotateKesOptions,
  name: string,
  keys: KeySetDir,
  newCounter: number,
  oldCounter: number,
): Promise<number> {
  const timeout = o.reloadTimeoutMs ?? 15_000;
  const verdict = await signalAndWait(o.dir, name, timeout);
  if (verdict === null) {
    o.io.out(`${name} is not running; it will use the new keys when it starts (devnet up)`);
    return 0;
  }
  if (verdict.kind === "forging" && verdict.counter === newCounter) {
    o.io.out(`${name} reloaded its keys on SIGHUP and forges with issue number ${newCounter}`);
    return 0;
  }
  if (verdict.kind === "silent") {
    o.io.err(
      `poolfleet-cli: ${name} gave no verdict on the new keys within ${timeout / 1000} s; they are in place ` +
        `(see ${devnetPaths(o.dir).log(name)}). Roll back by pointing ${keys.keysDir}/current at ` +
        `${keys.revision("previous")} and sending SIGHUP`,
    );
    return 1;
  }
  const why = verdict.kind === "refused" ? verdict.reason : `it reports issue number ${verdict.counter}`;
  const back = keys.rollback();
  o.io.err(`poolfleet-cli: ${name} refused the new keys (${why}); rolled back to ${back.current}`);
  const again = await signalAndWait(o.dir, name, timeout);
  if (again?.kind === "forging" && again.counter === oldCounter)
    o.io.err(`${name} forges with its previous keys again`);
  else o.io.err(`${name} did not confirm the previous keys either: check ${devnetPaths(o.dir).log(name)}`);
  return 1;
}
