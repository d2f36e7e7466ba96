// poolfleet-node's --socket-path as a process: the node-to-client socket is created with mode 0660 and removed on
// SIGTERM, and a second node given the same path while the first serves it refuses to start with one line
// naming the flag and the path (the first node's socket is left alone).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-socket-path-"));
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("poolfleet-node --socket-path", () => {
  it("creates the socket 0660, refuses a second node on it, and removes it on stop", async () => {
    const r = await runCli(["genesis", "create", "--pools", "1", "--out-dir", join(dir, "devnet")]);
    assert.equal(r.code, 0, r.stderr);
    const socket = join(dir, "node.socket");
    const args = (db: string) => ["--config", join(dir, "devnet", "config.json"), "--database-path", join(dir, db)];
    const first = await startNode([...args("db1"), "--socket-path", socket]);
    running.push(first);
    // A relay with no peer is never ready (readiness.ts): wait for it to be up and healthy.
    await waitFor("up", async () => (await first.get("/health")).status === 200, 30_000);
    assert.equal(statSync(socket).mode & 0o777, 0o660);

    const second = await startNode([...args("db2"), "--socket-path", socket]);
    running.push(second);
    assert.equal(await second.exited, 1);
    const line = second.logs.find((l) => l.includes("--socket-path"));
    assert.match(
      line ?? "",
      /cannot serve node-to-client on --socket-path .*node\.socket: another process is listening/,
    );
    assert.ok(statSync(socket).isSocket(), "the first node's socket is left alone");

    assert.equal(await first.stop(), 0);
    assert.equal(existsSync(socket), false);
  });
});
