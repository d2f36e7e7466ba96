// `demo`: what `npm start` runs until the local devnet fleet lands. It walks a newcomer through a pool's key
// life on a throwaway devnet genesis: generate keys, issue a certificate, pass the consistency gate, read the
// KES window and the leader schedule, replay the seeds/003 incident and watch the gate refuse it, then run a
// producer on a fresh devnet for a few seconds and watch it forge.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../devnet/processes.ts";
import type { Command, Output } from "../command.ts";

const SLOTS_PER_KES_PERIOD = 3600;
const SLOT_LENGTH_S = 0.2;
const EPOCH_LENGTH = 1800;

function devnetGenesis(start: Date): string {
  return `${JSON.stringify(
    {
      activeSlotsCoeff: 0.1,
      epochLength: EPOCH_LENGTH,
      maxKESEvolutions: 62,
      networkId: "Testnet",
      networkMagic: 42,
      securityParam: 10,
      slotLength: SLOT_LENGTH_S,
      slotsPerKESPeriod: SLOTS_PER_KES_PERIOD,
      systemStart: start.toISOString().replace(/\.\d{3}Z$/, "Z"),
      updateQuorum: 1,
      maxLovelaceSupply: 45000000000000000,
    },
    null,
    2,
  )}\n`;
}

/** The CLI's dispatcher (main.ts main): the demo runs its steps through it. */
export type Dispatch = (argv: readonly string[], io: Output) => Promise<number>;

/** main.ts lists the demo among its commands and passes its dispatcher in, so the demo never imports main.ts. */
export const demo = (main: Dispatch): Command => ({
  path: ["demo"],
  summary: "walk through a pool's keys on a throwaway devnet genesis (what npm start runs)",
  flags: {
    dir: { type: "string", value: "DIR", description: "where to write the files (default: a new temporary folder)" },
  },
  example: "poolfleet-cli demo --dir ./demo-pool",
  async run(flags, io) {
    const dirFlag = flags.optionalString("dir");
    const dir = dirFlag ?? mkdtempSync(join(tmpdir(), "poolfleet-demo-"));
    mkdirSync(dir, { recursive: true });
    const f = (name: string) => join(dir, name);
    const now = new Date();
    // The devnet started two hours ago, so the current KES period is > 0 and the schedule has a past.
    const start = new Date(Math.floor(now.getTime() / 1000) * 1000 - 2 * 3600 * 1000);
    writeFileSync(f("shelley-genesis.json"), devnetGenesis(start));
    const slot = Math.floor((now.getTime() - start.getTime()) / (SLOT_LENGTH_S * 1000));
    const kesPeriod = Math.floor(slot / SLOTS_PER_KES_PERIOD);
    const epochStart = slot - (slot % EPOCH_LENGTH);

    const step = async (title: string, argv: string[], expectExit = 0): Promise<void> => {
      io.out(`\n== ${title}\n$ poolfleet-cli ${argv.join(" ")}`);
      const code = await main(argv, io);
      if (code !== expectExit) throw new Error(`demo step "${title}" exited ${code}, expected ${expectExit}`);
    };
    io.out(`poolfleet demo: files in ${dir}`);
    await step("cold keys and issue counter", [
      "node",
      "key-gen",
      "--cold-verification-key-file",
      f("cold.vkey"),
      "--cold-signing-key-file",
      f("cold.skey"),
      "--operational-certificate-issue-counter-file",
      f("cold.counter"),
    ]);
    await step("KES keys", [
      "node",
      "key-gen-KES",
      "--verification-key-file",
      f("kes.vkey"),
      "--signing-key-file",
      f("kes.skey"),
    ]);
    await step("VRF keys", [
      "node",
      "key-gen-VRF",
      "--verification-key-file",
      f("vrf.vkey"),
      "--signing-key-file",
      f("vrf.skey"),
    ]);
    const issue = (kesVkey: string, out: string) => [
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      f(kesVkey),
      "--cold-signing-key-file",
      f("cold.skey"),
      "--operational-certificate-issue-counter-file",
      f("cold.counter"),
      "--kes-period",
      String(kesPeriod),
      "--out-file",
      f(out),
    ];
    await step(`operational certificate at the current KES period ${kesPeriod}`, issue("kes.vkey", "node.cert"));
    const check = (kes: string, cert: string) => [
      "keys",
      "check",
      "--shelley-kes-key",
      f(kes),
      "--shelley-operational-certificate",
      f(cert),
      "--shelley-vrf-key",
      f("vrf.skey"),
      "--cold-verification-key-file",
      f("cold.vkey"),
      "--operational-certificate-issue-counter-file",
      f("cold.counter"),
      "--shelley-genesis",
      f("shelley-genesis.json"),
    ];
    await step("the consistency gate on the producer's key set", check("kes.skey", "node.cert"));
    await step("KES window", [
      "query",
      "kes-period-info",
      "--op-cert-file",
      f("node.cert"),
      "--shelley-genesis",
      f("shelley-genesis.json"),
    ]);
    await step(`leader slots of the current epoch with a third of the stake`, [
      "query",
      "leadership-schedule",
      "--vrf-signing-key-file",
      f("vrf.skey"),
      "--epoch-nonce",
      "4ef95a10f639d0cf16bb963c3a580d4bf2a95b6ae7848702665884843e3c661d",
      "--epoch-start-slot",
      String(epochStart),
      "--relative-stake",
      "1/3",
      "--shelley-genesis",
      f("shelley-genesis.json"),
    ]);
    io.out(
      "\n== seeds/003 replayed: a rotation issues a certificate for a NEW KES key, but the OLD key stays deployed",
    );
    await step("new KES key", [
      "node",
      "key-gen-KES",
      "--verification-key-file",
      f("kes-new.vkey"),
      "--signing-key-file",
      f("kes-new.skey"),
    ]);
    await step("certificate for the new key", issue("kes-new.vkey", "node-new.cert"));
    await step("the gate refuses the old KES key with the new certificate", check("kes.skey", "node-new.cert"), 1);
    await step("the consistent new pair passes", check("kes-new.skey", "node-new.cert"));
    await forgeOnDevnet(join(dir, "devnet"), io, main);
    io.out(`\nDone. The files are in ${dir}; the cold signing keys there are for this demo only.`);
    return 0;
  },
});

/** Create a 1-pool devnet and run poolfleet-node as a producer for a few seconds, showing what it forges. */
async function forgeOnDevnet(
  dir: string,
  io: Output,
  main: (argv: string[], io: Output) => Promise<number>,
): Promise<void> {
  io.out("\n== a producer forging on a fresh 1-pool devnet (0.1 s slots, f = 0.5) for 6 seconds");
  const quiet: Output = { ...io, out() {} };
  const argv = [
    "genesis",
    "create",
    "--pools",
    "1",
    "--out-dir",
    dir,
    "--slot-length",
    "0.1",
    "--epoch-length",
    "200",
    "--active-slot-coeff",
    "0.5",
  ];
  if ((await main(argv, quiet)) !== 0) throw new Error("demo: genesis create failed");
  const pool = (f: string) => join(dir, "pools", "pool1", f);
  const port = await freePort();
  const bin = fileURLToPath(new URL("../../../bin/poolfleet-node.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      "--config",
      join(dir, "config.json"),
      "--database-path",
      join(dir, "db"),
      "--shelley-kes-key",
      pool("kes.skey"),
      "--shelley-vrf-key",
      pool("vrf.skey"),
      "--shelley-operational-certificate",
      pool("node.cert"),
      "--metrics-port",
      String(port),
      "--port",
      "0",
    ],
    { stdio: "ignore" },
  );
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  };
  try {
    for (let second = 1; second <= 6; second++) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        io.out(
          `  ${second} s: tip block ${await metric("poolfleet_tip_block")}, blocks forged ${await metric("poolfleet_blocks_forged_total")}, KES periods left ${await metric("poolfleet_node_kes_periods_remaining")}`,
        );
      } catch {
        io.out(`  ${second} s: node starting…`);
      }
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

export type { Output };
