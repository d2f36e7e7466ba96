// The constitution's anchor at the node's level: a chain from genesis starts from the Conway genesis's anchor; a
// snapshot written before the anchor was kept takes the genesis's back when loaded, unless governance has enacted
// a constitution since (then it stays unknown and GetConstitution is refused rather than answered wrongly).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { createDevnet } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-chain-constitution-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the constitution's anchor in node chain snapshots", () => {
  it("comes from the Conway genesis, and back into a snapshot that predates it unless one was enacted", async () => {
    await createDevnet(dir);
    const net = loadNetwork(join(dir, "config.json"));
    const conway = JSON.parse(readFileSync(join(dir, "conway-genesis.json"), "utf8")) as {
      constitution: { anchor: { url: string; dataHash: string } };
    };
    const expected = [conway.constitution.anchor.url, conway.constitution.anchor.dataHash];
    const chain = NodeChain.genesis(net);
    assert.deepEqual(chain.ledger.constitutionAnchor, expected);

    const json = chain.toJson() as { ledger: Record<string, unknown> };
    assert.deepEqual(NodeChain.fromJson(net, json).ledger.constitutionAnchor, expected);
    const old = JSON.parse(JSON.stringify(json)) as { ledger: Record<string, unknown> };
    delete old.ledger.constitutionAnchor;
    assert.deepEqual(NodeChain.fromJson(net, old).ledger.constitutionAnchor, expected);
    old.ledger.govRoots = [["constitution", `${"11".repeat(32)}#0`]];
    assert.equal(NodeChain.fromJson(net, old).ledger.constitutionAnchor, null);
  });
});
