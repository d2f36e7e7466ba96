// Interop with gouroboros (Go, an independent Ouroboros implementation), both directions, over loopback TCP:
// its node-to-node client follows and fetches our chain (hashes computed by its own ledger code), and our
// client follows and fetches from its chain-sync and block-fetch servers. The Go harness in
// test/interop/gouroboros is built from the Go module proxy into .cache/go on first use; without a Go
// toolchain the test is skipped.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { before, describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { connectPeer } from "../../src/network/peer.ts";
import { goHarness, haveGo } from "../helpers/go-harness.ts";
import { chain, MAGIC, startServer } from "./helpers.ts";

const { binary, build } = goHarness("gouroboros", "gouroboros-interop");

type Event = Record<string, unknown> & { event: string };

/** Run the harness; `onEvent` sees each JSON line; resolves with all events when it exits. */
function run(args: string[], onEvent: (e: Event, child: ChildProcess) => void, ms = 60_000): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const events: Event[] = [];
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const e = JSON.parse(line) as Event;
      events.push(e);
      onEvent(e, child);
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`gouroboros-interop ${args[0]} timed out; stderr: ${stderr}`));
    }, ms);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal === "SIGTERM") resolve(events);
      else reject(new Error(`gouroboros-interop exited with ${code}: ${stderr}`));
    });
  });
}

const hex = bytesToHex;

describe("interop with gouroboros", { skip: haveGo ? false : "no Go toolchain" }, () => {
  before(
    () => {
      const problem = build();
      if (problem) throw new Error(problem);
    },
    { timeout: 600_000 },
  );

  it("gouroboros follows and fetches our chain, including a block added while it waits", async () => {
    const source = new MemoryChainSource(chain.slice(0, 8).map((b) => b.bytes));
    const server = await startServer(source);
    try {
      let added = false;
      const events = await run(["client", `127.0.0.1:${server.port}`, String(MAGIC), "9"], (e) => {
        if (e.event === "header" && e.blockNo === 7 && !added) {
          added = true;
          setTimeout(() => source.add(chain[8]!.bytes), 200);
        }
      });
      const done = events.find((e) => e.event === "done") as
        { version: number; headers: { hash: string; slot: number }[]; blocks: { hash: string }[] } | undefined;
      assert.ok(done, "the Go client finished");
      assert.ok(done.version === 14 || done.version === 15);
      const ours = chain.slice(0, 9).map((b) => hex(b.header.hash));
      assert.deepEqual(
        done.headers.map((h) => h.hash),
        ours,
      );
      assert.deepEqual(
        done.blocks.map((b) => b.hash),
        ours,
      );
      assert.equal(server.disconnects.filter((d) => d.reason.includes("chain-sync")).length, 0);
    } finally {
      await server.close();
    }
  });

  it("our client follows and fetches gouroboros's chain, blocks byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-interop-"));
    const file = join(dir, "blocks.hex");
    writeFileSync(file, chain.map((b) => hex(b.bytes)).join("\n") + "\n");
    let port = 0;
    let serverChild: ChildProcess | undefined;
    await new Promise<void>((resolve, reject) => {
      run(["server", String(MAGIC), file], (e, child) => {
        serverChild = child;
        if (e.event === "listening") {
          port = e.port as number;
          resolve();
        }
      }).catch(reject);
    });
    try {
      const peer = await connectPeer("127.0.0.1", port, { magic: MAGIC });
      assert.ok(peer.version === 14 || peer.version === 15);
      const { intersect } = await peer.chainSync.findIntersect(["origin"]);
      assert.equal(intersect, "origin");
      const headers = [];
      for (let i = 0; i < chain.length + 2 && headers.length < chain.length; i++) {
        const ev = await peer.chainSync.requestNext();
        if (ev.kind === "forward") headers.push(decodeHeader(ev.header.bytes));
      }
      assert.deepEqual(
        headers.map((h) => hex(h.hash)),
        chain.map((b) => hex(b.header.hash)),
      );
      const first = headers[0]!;
      const last = headers.at(-1)!;
      const blocks = await peer.blockFetch.fetchRange(
        { slot: first.body.slot, hash: first.hash },
        { slot: last.body.slot, hash: last.hash },
      );
      assert.ok(blocks);
      assert.deepEqual(
        blocks.map((b) => hex(b.bytes)),
        chain.map((b) => hex(b.bytes)),
      );
      assert.ok(blocks.every((b) => b.era === "Conway"));
      peer.close();
    } finally {
      serverChild?.kill();
    }
  });
});
