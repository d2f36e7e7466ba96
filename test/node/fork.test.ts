// Chain selection between real nodes: two producers of two pools forge apart (no peers) and so build two forks;
// a SIGHUP with a new topology connects them, and both settle on one chain by Praos chain selection (longer wins,
// then the VRF tie-break), the loser rolling back its own blocks. Their databases then agree block for block.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-fork-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
});

interface Tip {
  blockNo: string;
  hash: string;
}
const tipOf = async (n: RunningNode) => (JSON.parse((await n.get("/health")).body) as { tip: Tip | null }).tip;

describe("chain selection across peers", () => {
  it("two producers that forged apart converge on one chain once connected (SIGHUP reloads the topology)", async () => {
    await createDevnet(devnet, { pools: 2, slotLength: "0.1", activeSlotCoeff: "0.5", securityParam: 30 });
    const ports = [await freePort(), await freePort()];
    const homes = ["a", "b"].map((n) => join(root, n));
    const nodes: RunningNode[] = [];
    for (let i = 0; i < 2; i++) {
      mkdirSync(homes[i]!, { recursive: true });
      writeFileSync(join(homes[i]!, "topology.json"), topologyJson([]));
      const node = await startNode([
        "--config",
        join(devnet, "config.json"),
        "--topology",
        join(homes[i]!, "topology.json"),
        "--database-path",
        join(homes[i]!, "db"),
        "--port",
        String(ports[i]),
        ...poolKeyArgs(devnet, `pool${i + 1}`),
      ]);
      running.push(node);
      nodes.push(node);
    }
    const [a, b] = nodes as [RunningNode, RunningNode];
    for (const n of nodes)
      await waitFor(
        "each producer to forge its own blocks",
        async () => Number((await tipOf(n))?.blockNo ?? -1) >= 2,
        30_000,
      );
    const apart = [await tipOf(a), await tipOf(b)];
    assert.notEqual(apart[0]!.hash, apart[1]!.hash, "apart, they forged different chains");

    // Connect them: each lists the other as a local root; SIGHUP re-reads the topology.
    for (let i = 0; i < 2; i++) {
      writeFileSync(join(homes[i]!, "topology.json"), topologyJson([{ address: "127.0.0.1", port: ports[1 - i]! }]));
      nodes[i]!.child.kill("SIGHUP");
    }
    await waitFor(
      "both on the same tip",
      async () => {
        const [x, y] = [await tipOf(a), await tipOf(b)];
        return x && y && x.hash === y.hash;
      },
      30_000,
    );
    const switched = [...a.logs, ...b.logs].filter((l) => l.includes('"event":"switched"'));
    assert.ok(switched.length >= 1, "one of them rolled back its fork and switched");
    assert.ok(switched.some((l) => /"rolledBack":[1-9]/.test(l)));

    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
    const [da, db] = homes.map((h) => ChainDb.open(join(h, "db"))) as [ChainDb, ChainDb];
    const common = Math.min(da.length, db.length);
    assert.ok(common > Number(apart[0]!.blockNo), "the converged chain is longer than either fork was");
    for (let i = 0; i < common; i++)
      assert.equal(bytesToHex(da.entry(i)!.hash), bytesToHex(db.entry(i)!.hash), `block ${i} agrees`);
    da.close();
    db.close();
  });
});
