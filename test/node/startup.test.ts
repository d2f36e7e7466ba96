// poolfleet-node's start-up (issue 15, defects 6 and 7), on the real process:
//  - every broken config.json, genesis or topology fails fast: exit 1 and one line on stderr naming the file and
//    the field (the old node ran on with a ShelleyGenesisHash that was a number or missing, and printed a
//    JavaScript TypeError for a config.json of `null`);
//  - a port it cannot bind (node-to-node, metrics, API, node-to-client TCP) fails the start: exit 1 naming host:port and EADDRINUSE
//    (the old node kept running with /health "ok" when the node-to-node port was taken);
//  - /api/* (leader schedule, submission, ledger, peers) is served only on --api-port, never on the metrics port.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-startup-"));
const devnet = join(root, "devnet");
const config = join(devnet, "config.json");
const running: RunningNode[] = [];
let dbs = 0;
const db = () => join(root, `db${++dbs}`);

before(async () => {
  await createDevnet(devnet, { slotLength: "0.1" });
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** Start a node that must refuse to start: its exit code (null if it still ran after 30 s) and its stderr lines. */
async function refused(args: string[]): Promise<{ code: number | null; errors: string[] }> {
  const node = await startNode(["--database-path", db(), ...args]);
  running.push(node);
  const code = await Promise.race([node.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
  if (code === null) node.child.kill("SIGKILL");
  // stdout carries JSON log lines; what is not JSON is the message on stderr.
  return { code, errors: node.logs.filter((l) => l.trim() !== "" && !l.startsWith("{")) };
}

function assertOneLine(r: { code: number | null; errors: string[] }, ...patterns: RegExp[]) {
  assert.equal(r.code, 1, `exit 1, not still running or crashed (stderr: ${r.errors.join(" | ")})`);
  assert.equal(r.errors.length, 1, `one line on stderr: ${r.errors.join(" | ")}`);
  const line = r.errors[0]!;
  assert.doesNotMatch(line, /TypeError|Cannot read properties|\bat .*\.ts:\d+/, "no JavaScript error");
  for (const p of patterns) assert.match(line, p);
}

/** A config.json next to the devnet's genesis, built from the devnet's own. */
function configWith(name: string, change: (c: Record<string, unknown>) => unknown): string {
  const path = join(devnet, name);
  const doc = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
  change(doc);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe("a broken config.json or genesis: exit 1 with one line naming the file and the field", () => {
  test("config.json is null, an array, not JSON", async () => {
    for (const [name, text] of [
      ["null.json", "null"],
      ["array.json", "[]"],
      ["garbage.json", "{ not json"],
    ] as const) {
      const path = join(devnet, name);
      writeFileSync(path, text);
      const r = await refused(["--config", path]);
      assertOneLine(r, new RegExp(`^poolfleet-node: ${path}: `), /config\.json/);
    }
  });

  test("ShelleyGenesisHash given as a number", async () => {
    const path = configWith("hash-number.json", (c) => void (c.ShelleyGenesisHash = 123));
    assertOneLine(
      await refused(["--config", path]),
      new RegExp(path),
      /"ShelleyGenesisHash"/,
      /64 hex digits, not 123/,
    );
  });

  test("no ShelleyGenesisHash (here with a modified genesis): refused, as cardano-node refuses it", async () => {
    const genesis = JSON.parse(readFileSync(join(devnet, "shelley-genesis.json"), "utf8")) as Record<string, unknown>;
    genesis.securityParam = 3;
    writeFileSync(join(devnet, "modified-genesis.json"), JSON.stringify(genesis));
    const path = configWith("no-hash.json", (c) => {
      delete c.ShelleyGenesisHash;
      c.ShelleyGenesisFile = "modified-genesis.json";
    });
    assertOneLine(await refused(["--config", path]), new RegExp(path), /"ShelleyGenesisHash": is missing/);
  });

  test("a modified genesis under the original hash: the mismatch names both", async () => {
    const path = configWith("modified.json", (c) => void (c.ShelleyGenesisFile = "modified-genesis.json"));
    assertOneLine(
      await refused(["--config", path]),
      /"ShelleyGenesisHash": [0-9a-f]{64} does not match .*modified-genesis\.json, whose hash is [0-9a-f]{64}/,
    );
  });

  test("other fields: no ShelleyGenesisFile, a missing genesis, a hash of the wrong length, a bad Conway epoch", async () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ["no-file.json", (c) => delete c.ShelleyGenesisFile, /"ShelleyGenesisFile": is missing/],
      ["file-number.json", (c) => (c.ShelleyGenesisFile = 7), /"ShelleyGenesisFile": must be a file path, not 7/],
      [
        "gone.json",
        (c) => (c.ShelleyGenesisFile = "absent.json"),
        /"ShelleyGenesisFile": .*absent\.json does not exist/,
      ],
      ["short.json", (c) => (c.ShelleyGenesisHash = "abcd"), /"ShelleyGenesisHash": must be .*not "abcd"/],
      ["conway.json", (c) => (c.TestConwayHardForkAtEpoch = "0"), /"TestConwayHardForkAtEpoch": .*not "0"/],
    ];
    for (const [name, change, pattern] of cases) {
      const path = configWith(name, change);
      assertOneLine(await refused(["--config", path]), new RegExp(`${path}: field`), pattern);
    }
  });

  test("a genesis that is not a genesis, and a topology that does not parse", async () => {
    writeFileSync(join(devnet, "null-genesis.json"), "null");
    // The hash is right (of the file "null"), so what is refused is the genesis itself.
    const hash = bytesToHex(blake2b256(Buffer.from("null")));
    const nullGenesis = configWith("null-genesis-config.json", (c) => {
      c.ShelleyGenesisFile = "null-genesis.json";
      c.ShelleyGenesisHash = hash;
    });
    const r = await refused(["--config", nullGenesis]);
    assertOneLine(r, /null-genesis\.json/);
    const topology = join(devnet, "bad-topology.json");
    writeFileSync(topology, JSON.stringify({ localRoots: 5 }));
    assertOneLine(await refused(["--config", config, "--topology", topology]), /bad-topology\.json: .*"localRoots"/);
  });
});

describe("a port it cannot bind: exit 1 naming host:port", () => {
  let taken: Server;
  let port: number;
  before(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    port = (taken.address() as { port: number }).port;
  });
  after(() => taken.close());

  for (const [flag, what] of [
    ["--port", /node-to-node/],
    ["--metrics-port", /--metrics-port/],
    ["--api-port", /--api-port/],
    ["--node-to-client-port", /--node-to-client-port/],
  ] as const)
    test(`${flag} taken`, async () => {
      const r = await refused([
        "--config",
        config,
        "--host-addr",
        "127.0.0.1",
        ...poolKeyArgs(devnet),
        flag,
        `${port}`,
      ]);
      assertOneLine(r, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`), what);
    });
});

describe("the API is on --api-port only", () => {
  test("/api/* on the metrics port is 404 with a hint; on the API port it answers", async () => {
    const node = await startNode(["--config", config, "--database-path", db(), ...poolKeyArgs(devnet)]);
    running.push(node);
    await waitFor("the node ready", async () => (await node.get("/ready")).status === 200, 30_000);
    for (const path of ["/api/leader-schedule?minutes=1", "/api/ledger", "/api/peers"]) {
      const onMetrics = await node.get(path);
      assert.equal(onMetrics.status, 404, path);
      assert.match(onMetrics.body, /--api-port/);
    }
    const post = await fetch(`http://127.0.0.1:${node.port}/api/submit/tx`, { method: "POST", body: "x" });
    assert.equal(post.status, 405, "no submission on the metrics port (it takes GETs only)");
    assert.equal((await node.get("/metrics")).status, 200);

    const schedule = JSON.parse((await node.api("/api/leader-schedule?minutes=1")).body) as { forging: boolean };
    assert.equal(schedule.forging, true);
    assert.equal((await node.api("/api/ledger")).status, 200);
    const submitted = await node.api("/api/submit/tx", { method: "POST", body: Buffer.from([0x80]) });
    assert.equal(submitted.status, 400, "the submit endpoint decodes what it is given");
    assert.equal((await node.api("/metrics")).status, 404, "metrics stay on the metrics port");
    const cfg = JSON.parse((await node.get("/config")).body) as { api: string };
    assert.equal(cfg.api, `127.0.0.1:${node.apiPort}`, "--api-host defaults to 127.0.0.1");
    assert.equal(await node.stop(), 0);
  });

  test("without --api-port there is no API listener", async () => {
    const node = await startNode(["--config", config, "--database-path", db()], { POOLFLEET_API_PORT: undefined });
    running.push(node);
    // A relay with no peer is never ready (readiness.ts): wait for it to be up and healthy instead.
    await waitFor("the node up", async () => (await node.get("/health")).status === 200, 30_000);
    const cfg = JSON.parse((await node.get("/config")).body) as { api: unknown };
    assert.equal(cfg.api, null);
    assert.equal((await node.get("/api/ledger")).status, 404);
    assert.equal(await node.stop(), 0);
  });
});
