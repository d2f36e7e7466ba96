// `poolfleet-cli devnet up | status | down` as processes: a detached devnet of one producer and two relays on
// loopback, its status as JSON, a second `up` refused while it runs, a clean `down`, a restart that keeps the
// chain, and the foreground mode stopping its nodes when --duration ends.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isAlive } from "../../src/cli/devnet/processes.ts";
import type { NodeStatus } from "../../src/cli/devnet/status.ts";
import { readTopology } from "../../src/formats/topology.ts";
import { runCli } from "../helpers/cli.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-devnet-"));
const dir = join(root, "dn");
const fast = ["--slot-length", "0.1", "--active-slot-coeff", "0.5"];

async function status(): Promise<NodeStatus[]> {
  const r = await runCli(["devnet", "status", "--dir", dir, "--output-json"]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { nodes: NodeStatus[] }).nodes;
}

after(async () => {
  await runCli(["devnet", "down", "--dir", dir]);
});

describe("devnet", () => {
  it("up --detach starts a producer behind two relays; status reports them; down stops them", async () => {
    const up = await runCli(["devnet", "up", "--dir", dir, "--detach", ...fast]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /devnet running in the background/);
    const nodes = await status();
    assert.deepEqual(
      nodes.map((n) => [n.name, n.role]),
      [
        ["pool1-producer", "producer"],
        ["pool1-relay1", "relay"],
        ["pool1-relay2", "relay"],
      ],
    );
    assert.ok(nodes.every((n) => n.running && n.pid !== null));
    // Every node has its own API port; the metrics port does not serve /api (issue 15, defect 7).
    for (const n of nodes) {
      assert.ok(n.apiPort, `${n.name} has an API port`);
      assert.equal((await fetch(`http://127.0.0.1:${n.apiPort}/api/ledger`)).status, 200, `${n.name} /api/ledger`);
      assert.equal((await fetch(`http://127.0.0.1:${n.metricsPort}/api/ledger`)).status, 404);
    }
    // The producer's topology names only its own relays; each relay names the producer and its sibling.
    const topology = (name: string) => readTopology(join(dir, "nodes", name, "topology.json"));
    const ports = Object.fromEntries(nodes.map((n) => [n.name, n.port]));
    assert.deepEqual(
      topology("pool1-producer").localRoots[0]!.accessPoints.map((a) => a.port),
      [ports["pool1-relay1"], ports["pool1-relay2"]],
    );
    assert.deepEqual(
      topology("pool1-relay1").localRoots[0]!.accessPoints.map((a) => a.port),
      [ports["pool1-producer"], ports["pool1-relay2"]],
    );
    const forging = await waitFor(
      "the producer forging",
      async () => {
        const p = (await status())[0]!;
        return (p.blocksForged ?? 0) >= 2 ? p : undefined;
      },
      30_000,
    );
    assert.equal(forging.forging, true);
    assert.equal(forging.opcertCounter, 0);
    assert.equal(forging.kesPeriodsLeft, 62);

    const again = await runCli(["devnet", "up", "--dir", dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already running/);

    const down = await runCli(["devnet", "down", "--dir", dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /pool1-producer: stopped/);
    assert.ok(
      nodes.every((n) => !isAlive(n.pid!)),
      "every process exited",
    );
    const log = readFileSync(join(dir, "logs", "pool1-producer.log"), "utf8");
    assert.match(log, /stopped cleanly/);
  });

  it("up again reuses the devnet and its chain; --duration stops the nodes in the foreground", async () => {
    const up = await runCli(["devnet", "up", "--dir", dir, "--duration", "4s"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /reusing the devnet/);
    assert.match(up.stdout, /TIP SLOT/);
    assert.match(up.stdout, /pool1-relay2: stopped/);
    const restored = readFileSync(join(dir, "logs", "pool1-producer.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes("chain restored"))
      .at(-1)!;
    assert.notEqual(JSON.parse(restored).tip, null, "the second run started from the first run's chain");
    assert.ok((await status()).every((n) => !n.running));
  });

  it("refuses a directory that is not a devnet, and status without one", async () => {
    const other = join(root, "other");
    mkdirSync(other);
    writeFileSync(join(other, "notes.txt"), "mine\n");
    const r = await runCli(["devnet", "up", "--dir", other]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a devnet directory/);
    const s = await runCli(["devnet", "status", "--dir", join(root, "nothing")]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /no devnet here/);
  });
});
