// npm run bench: throughput of the crypto on this machine, and the leadership schedule of a mainnet-sized
// epoch (432000 slots) through the real CLI with its worker threads. Target: the schedule in under 60 s.
// Then the node: chain build, replay, restart, memory, sync between two nodes; block propagation on loopback; and
// the operator with 1000 StakePools on a real API server; one node holding 32 pools (multikey.ts).
// Options: --schedule-slots N (default 432000), --skip-schedule, --chain-blocks N (default 100000), --skip-node,
// --skip-propagation, --skip-operator, --operator-pools N (default 1000), --operator-steady-seconds S (default 60),
// --skip-multikey, --multikey-slots N (default 600), --multikey-schedule-slots N (default 432000); node-to-client
// (n2c.ts: local chain-sync and node-to-node sync of the same chain, state-query latency) --skip-n2c,
// --n2c-blocks N (default 20000), --n2c-queries N (default 300).
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { run as validateHeadersFor, runVrfAndKesOnly } from "./header-validation.ts";
import { benchMultikey } from "./multikey.ts";
import { benchN2c } from "./n2c.ts";
import { benchNode } from "./node.ts";
import { benchOperator } from "./operator.ts";
import { benchPropagation } from "./propagation.ts";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from "../src/crypto/ed25519.ts";
import { KesSigningKey, kesVerify } from "../src/crypto/kes.ts";
import { vrfEvaluate, vrfProve, vrfSecretKeyFromSeed, vrfVerify } from "../src/crypto/vrf.ts";
import { activeSlotCoeff, checkLeaderNatValue } from "../src/crypto/leader.ts";
import { parseRational } from "../src/crypto/rational.ts";

const args = process.argv.slice(2);
const scheduleSlots = Number(args[args.indexOf("--schedule-slots") + 1] ?? 0) || 432000;

function measure(name: string, fn: (i: number) => void, minMs = 1000): void {
  for (let i = 0; i < 20; i++) fn(i); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 50; i++) fn(n++);
  }
  const ms = performance.now() - start;
  const perOp = (ms * 1000) / n;
  console.log(
    `${name.padEnd(28)}${Math.round((n * 1000) / ms)
      .toString()
      .padStart(9)} ops/s  ${perOp.toFixed(1).padStart(8)} µs/op`,
  );
}

const seed = new Uint8Array(32).fill(7);
const msg = new TextEncoder().encode("a block header body of some length ".repeat(10));

console.log(`poolfleet bench — Node.js ${process.version}, ${availableParallelism()} cores\n`);
const ed = ed25519KeyPairFromSeed(seed);
const edSig = ed25519Sign(ed, msg);
measure("Ed25519 sign", () => ed25519Sign(ed, msg));
measure("Ed25519 verify", () => ed25519Verify(ed.publicKey, msg, edSig));

const kes = KesSigningKey.generate(seed);
const kesVk = kes.verificationKey;
const kesSig = kes.sign(msg);
measure("KES Sum6 sign", () => kes.sign(msg));
measure("KES Sum6 verify", () => kesVerify(kesVk, 0, msg, kesSig));
measure("KES Sum6 keygen", () => KesSigningKey.generate(seed), 500);

const vrf = vrfSecretKeyFromSeed(seed);
const alpha = new Uint8Array(32);
const { proof } = vrfProve(vrf, alpha);
measure("VRF prove", (i) => vrfProve(vrf, Uint8Array.of(i & 255)));
measure("VRF verify", () => vrfVerify(vrf.publicKey, proof, alpha));
measure("VRF output only (schedule)", (i) => vrfEvaluate(vrf, Uint8Array.of(i & 255)));
const f = activeSlotCoeff(parseRational("0.05"));
const sigma = parseRational("1/1000");
measure("leader check (exact)", (i) => checkLeaderNatValue(BigInt(i) << 200n, sigma, f));

const headerSeconds = 3;
const single = validateHeadersFor(headerSeconds) / headerSeconds;
console.log(
  `${"header validation, 1 core".padEnd(28)}${Math.round(single).toString().padStart(9)} headers/s (full Praos checks)`,
);
const workers = availableParallelism();
const counts = await Promise.all(
  Array.from(
    { length: workers },
    () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(new URL("./header-validation.ts", import.meta.url), {
          workerData: { seconds: headerSeconds },
        });
        w.once("message", resolve);
        w.once("error", reject);
      }),
  ),
);
const all = counts.reduce((a, b) => a + b, 0) / headerSeconds;
console.log(`${`header validation, ${workers} cores`.padEnd(28)}${Math.round(all).toString().padStart(9)} headers/s`);

gouroborosComparison(headerSeconds, all);

// gouroboros (Go) as the reference point: its header verifier on the same real headers, built from the Go module
// proxy into .cache/go when Go is installed. It checks the VRF proof and the KES signature only, so the ratio
// compares our same two checks.
function gouroborosComparison(seconds: number, fullAllCores: number): void {
  const ours = runVrfAndKesOnly(seconds) / seconds;
  console.log(
    `${"VRF+KES checks, 1 core".padEnd(28)}${Math.round(ours).toString().padStart(9)} headers/s (what gouroboros checks)`,
  );
  if (spawnSync("go", ["version"]).status !== 0) {
    console.log("gouroboros comparison SKIPPED: no Go toolchain on PATH (install Go to build bench/gouroboros)");
    return;
  }
  const root = fileURLToPath(new URL("../", import.meta.url));
  const cache = `${root}.cache/go`;
  const env = {
    ...process.env,
    GOMODCACHE: `${cache}/mod`,
    GOCACHE: `${cache}/build`,
    GOPATH: `${cache}/path`,
    GOFLAGS: "-mod=mod",
  };
  const binary = `${cache}/bin/gouroboros-bench`;
  const build = spawnSync("go", ["build", "-o", binary, "."], {
    cwd: `${root}bench/gouroboros`,
    env,
    encoding: "utf8",
  });
  if (build.status !== 0) {
    console.log(`gouroboros comparison FAILED to build: ${build.stderr.trim().split("\n").at(-1)}`);
    return;
  }
  const run = spawnSync(binary, [`${root}test/fixtures/headers/real-headers.json`, String(seconds)], {
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.log(`gouroboros comparison FAILED: ${run.stderr.trim()}`);
    return;
  }
  const go = JSON.parse(run.stdout) as { validationsPerSecond: number; gouroborosVersion: string };
  console.log(
    `${`gouroboros ${go.gouroborosVersion}, 1 core`.padEnd(28)}${String(go.validationsPerSecond).padStart(9)} headers/s (VRF+KES)`,
  );
  const ratio = (x: number) => (x / go.validationsPerSecond).toFixed(2).padStart(9);
  console.log(
    `${"ratio, 1 core, VRF+KES".padEnd(28)}${ratio(ours)}  (target >= 1: ${ours >= go.validationsPerSecond ? "MET" : "MISSED"})`,
  );
  console.log(`${"ratio, all cores, full Praos".padEnd(28)}${ratio(fullAllCores)}  (ours on every core, every check)`);
}

if (!args.includes("--skip-schedule")) {
  const bin = fileURLToPath(new URL("../bin/poolfleet-cli.js", import.meta.url));
  const vrfKey = fileURLToPath(new URL("../test/fixtures/keys/cardano-cli-set/vrf.skey", import.meta.url));
  console.log(
    `\nleadership schedule over ${scheduleSlots} slots (worker threads on ${availableParallelism()} cores)...`,
  );
  const start = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      bin,
      "query",
      "leadership-schedule",
      "--vrf-signing-key-file",
      vrfKey,
      "--epoch-nonce",
      "4ef95a10f639d0cf16bb963c3a580d4bf2a95b6ae7848702665884843e3c661d",
      "--epoch-start-slot",
      "134092800",
      "--epoch-length",
      String(scheduleSlots),
      "--relative-stake",
      "0.001",
      "--active-slot-coeff",
      "0.05",
      "--output-json",
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  const slots = (JSON.parse(r.stdout) as unknown[]).length;
  const target = (60 * scheduleSlots) / 432000;
  console.log(
    `leadership schedule          ${seconds.toFixed(1)} s for ${scheduleSlots} slots (${slots} leader slots); ` +
      `target < ${target.toFixed(0)} s: ${seconds < target ? "MET" : "MISSED"}`,
  );
}

if (!args.includes("--skip-node")) {
  const chainBlocks = Number(args[args.indexOf("--chain-blocks") + 1] ?? 0) || 100000;
  console.log(`\nnode: building a ${chainBlocks}-block chain, replaying, restarting...`);
  await benchNode(chainBlocks);
}

if (!args.includes("--skip-n2c")) {
  const blocks = Number(args[args.indexOf("--n2c-blocks") + 1] ?? 0) || 20_000;
  const rounds = Number(args[args.indexOf("--n2c-queries") + 1] ?? 0) || 300;
  console.log("\nnode-to-client: local chain-sync vs node-to-node sync of one chain, state-query latency...");
  await benchN2c(blocks, rounds);
}

if (!args.includes("--skip-propagation")) {
  console.log("\nnetwork: block propagation, a producer behind two relays and a far relay (30 s)...");
  await benchPropagation(30, 150);
}

if (!args.includes("--skip-operator")) {
  const pools = Number(args[args.indexOf("--operator-pools") + 1] ?? 0) || 1000;
  const steady = Number(args[args.indexOf("--operator-steady-seconds") + 1] ?? 0) || 60;
  await benchOperator(pools, steady);
}

if (!args.includes("--skip-multikey")) {
  const slots = Number(args[args.indexOf("--multikey-slots") + 1] ?? 0) || 600;
  const schedule = Number(args[args.indexOf("--multikey-schedule-slots") + 1] ?? 0) || 432000;
  console.log("\nmultikey: one node holding 32 pools (mainnet shape: 1 s slots, f = 0.05)...");
  await benchMultikey(slots, schedule);
}
