// Block propagation on loopback: a producer behind two relays plus a far relay that knows only those two (the
// fleet test's shape), every node a poolfleet-node process. For each block the producer forges, the time from its
// "forged and adopted" log line to each relay's "adopted" line for that block (same machine clock, ms resolution).
// Bounded: at most `seconds` of forging or `maxBlocks` blocks. Target: p95 to every relay under 200 ms.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../src/cli/devnet/processes.ts";
import { main as cli } from "../src/cli/main.ts";
import { topologyJson } from "../src/formats/topology.ts";

const BIN = fileURLToPath(new URL("../bin/poolfleet-node.js", import.meta.url));

interface Adopted {
  readonly hash: string;
  readonly at: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchPropagation(seconds = 30, maxBlocks = 150): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pf-bench-prop-"));
  const devnet = join(root, "devnet");
  const quiet = { out() {}, err: (l: string) => console.error(l), stderrIsTTY: false, progress() {} };
  const argv = ["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"];
  if ((await cli([...argv, "--active-slot-coeff", "0.5"], quiet)) !== 0) throw new Error("genesis create failed");
  const [pP, p1, p2, p3] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const adopted = new Map<string, Adopted[]>();
  const children: ChildProcess[] = [];
  const start = async (name: string, port: number, local: number[], pub: number[], producer = false) => {
    const home = join(root, name);
    mkdirSync(home, { recursive: true });
    const at = (p: number) => ({ address: "127.0.0.1", port: p });
    writeFileSync(join(home, "topology.json"), topologyJson(local.map(at), { publicRoots: pub.map(at) }));
    const keys = (f: string) => join(devnet, "pools", "pool1", f);
    const child = spawn(
      process.execPath,
      [
        BIN,
        "run",
        "--config",
        join(devnet, "config.json"),
        "--topology",
        join(home, "topology.json"),
        "--database-path",
        join(home, "db"),
        "--port",
        String(port),
        "--metrics-port",
        String(await freePort()),
        ...(producer
          ? [
              "--shelley-kes-key",
              keys("kes.skey"),
              "--shelley-vrf-key",
              keys("vrf.skey"),
              "--shelley-operational-certificate",
              keys("node.cert"),
            ]
          : []),
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    children.push(child);
    const list: Adopted[] = [];
    adopted.set(name, list);
    let buffer = "";
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('"event":"adopted"')) continue;
        const o = JSON.parse(line) as { time: string; hash?: string; hashes?: string[] };
        for (const hash of o.hash ? [o.hash] : (o.hashes ?? [])) list.push({ hash, at: Date.parse(o.time) });
      }
    });
  };
  await start("relay1", p1, [pP, p2], []);
  await start("relay2", p2, [pP, p1], []);
  await start("far", p3, [], [p1, p2]);
  await start("producer", pP, [p1, p2], [], true);
  const forged = adopted.get("producer")!;
  const deadline = Date.now() + (seconds + 15) * 1000;
  while (Date.now() < deadline && forged.length < maxBlocks + 5) await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, 2000)); // let the last blocks arrive
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once("exit", r) : r(null)))));

  // Skip the first blocks: relays may still be dialling the producer (reconnect backoff) when they are forged.
  const blocks = forged.slice(5, 5 + maxBlocks);
  const relays = ["relay1", "relay2", "far"];
  const worst: number[] = [];
  const perRelay = new Map(relays.map((r) => [r, [] as number[]]));
  let missing = 0;
  for (const b of blocks) {
    let max = 0;
    for (const r of relays) {
      const seen = adopted.get(r)!.find((a) => a.hash === b.hash);
      if (!seen) {
        missing++;
        continue;
      }
      perRelay.get(r)!.push(seen.at - b.at);
      max = Math.max(max, seen.at - b.at);
    }
    worst.push(max);
  }
  worst.sort((a, b) => a - b);
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? `p50 ${percentile(s, 50)} ms, p95 ${percentile(s, 95)} ms` : "no data";
  };
  for (const r of relays) console.log(`${`propagation to ${r}`.padEnd(28)}${fmt(perRelay.get(r)!)}`);
  const p95 = worst.length ? percentile(worst, 95) : Infinity;
  console.log(
    `${"propagation to every relay".padEnd(28)}${fmt(worst)} over ${blocks.length} blocks` +
      `${missing ? ` (${missing} block arrivals missing)` : ""}; target p95 < 200 ms: ${p95 < 200 && missing === 0 ? "MET" : "MISSED"}`,
  );
  rmSync(root, { recursive: true, force: true });
}
