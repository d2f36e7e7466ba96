// poolfleet-cli's governance queries: against a real poolfleet-node's socket on a devnet, `query drep-state` (no
// DRep registers there), `query committee-state` (the genesis's empty committee), `query constitution`
// and `query treasury` (/api/ledger's treasury), a
// malformed hash refused with one line; against this process's node-to-client server over a ledger holding a key
// and a script DRep, cardano-cli's [credential, {anchor, deposit, expiry}] pairs in Credential order, by hash too,
// a constitution, and a committee's members state with each filter.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initialNonceState } from "../../src/consensus/nonce.ts";
import { createDevnet as createDevnetFiles, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { rational } from "../../src/crypto/rational.ts";
import { scriptCredential } from "../../src/ledger/certs.ts";
import { ledgerParamsFromGenesis } from "../../src/ledger/params.ts";
import { genesisLedgerState } from "../../src/ledger/state.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { listenLocal } from "../../src/network/n2c.ts";
import { stateQueryAcquire } from "../../src/node/state-query-view.ts";
import { chain, MAGIC } from "../network/helpers.ts";
import { createDevnet, runCli } from "../helpers/cli.ts";
import { startProducer, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-cli-qgov-"));
const devnet = join(dir, "devnet");
const socket = join(dir, "node.socket");
const at = ["--socket-path", socket, "--testnet-magic", "42"];
let node: RunningNode | undefined;

async function cli(args: string[]): Promise<string> {
  const r = await runCli(["query", ...args], 60_000);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe("poolfleet-cli governance queries over node-to-client", () => {
  before(
    async () => {
      await createDevnet(devnet, { slotLength: "0.1" });
      node = await startProducer(devnet, join(dir, "db"), socket);
      await waitFor("a forged block", async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 1, 60_000);
    },
    { timeout: 120_000 },
  );
  after(() => {
    node?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("query drep-state, committee-state and treasury answer from the node: no DReps, the empty genesis committee, /api/ledger's treasury", async () => {
    // No DRep registers on this devnet: the answer is the empty list. The DReps' layout is checked against an
    // in-process ledger below.
    assert.equal(await cli(["drep-state", "--all-dreps", ...at]), "[]\n");
    assert.equal(await cli(["drep-state", "--drep-key-hash", "ab".repeat(28), ...at]), "[]\n");
    const treasuries = [await node!.api("/api/ledger")];
    const treasury = (await cli(["treasury", ...at])).trim();
    treasuries.push(await node!.api("/api/ledger"));
    const pots = treasuries.map((r) => `${(JSON.parse(r.body) as { pots: { treasury: string } }).pots.treasury}`);
    assert.ok(pots.includes(treasury), `treasury ${treasury} in ${pots.join(", ")}`);
    assert.match(treasury, /^\d+$/);

    // The devnet's Conway genesis enacts an empty committee with a zero quorum.
    const before = (await node!.metric("cardano_node_metrics_epoch_int")) ?? 0;
    const committee = JSON.parse(await cli(["committee-state", ...at])) as { epoch: number };
    const after = (await node!.metric("cardano_node_metrics_epoch_int")) ?? 0;
    assert.ok(
      committee.epoch >= before && committee.epoch <= after,
      `epoch ${committee.epoch} in [${before}, ${after}]`,
    );
    assert.deepEqual(committee, { committee: {}, epoch: committee.epoch, threshold: 0 });
    // The devnet's Conway genesis constitution: its anchor, no guardrail script.
    assert.deepEqual(JSON.parse(await cli(["constitution", ...at])), {
      anchor: { dataHash: "0".repeat(64), url: "" },
    });
    const badCold = await runCli(["query", "committee-state", "--cold-verification-key-hash", "12", ...at]);
    assert.equal(badCold.code, 1);
    assert.match(badCold.stderr, /--cold-verification-key-hash: 12 is not a 28-byte hash in hex/);

    const bad = await runCli(["query", "drep-state", "--drep-key-hash", "xyz", ...at]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--drep-key-hash: xyz is not a 28-byte hash in hex/);
    const neither = await runCli(["query", "drep-state", ...at]);
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /give one of --all-dreps, --drep-key-hash or --drep-script-hash/);
  });

  it("query drep-state and committee-state print cardano-cli's JSON for a ledger's DReps and committee", async () => {
    // The node-to-client server over a ledger holding two DReps (a key and a script credential), on a socket of
    // this process; the CLI is a separate process.
    const g = createDevnetFiles({ ...DEVNET_DEFAULTS, pools: 1, startTime: new Date("2026-03-01T00:00:00Z") });
    const genesis = parseShelleyGenesis(Uint8Array.from(Buffer.from(g.shelleyGenesis)), "test genesis");
    const ledgerParams = ledgerParamsFromGenesis(genesis, "test genesis", 4310n, 5000);
    const ledger = genesisLedgerState(genesis, ledgerParams);
    ledger.dreps.set("d1".repeat(28), { deposit: 500_000_000n, expiry: 20 });
    ledger.dreps.set(scriptCredential("5c".repeat(28)), { deposit: 7n, expiry: 3 });
    const source = new MemoryChainSource(chain.map((b) => b.bytes));
    const tip = chain.at(-1)!.header;
    const state = {
      tip: { slot: tip.body.slot, blockNo: tip.body.blockNumber, hash: tip.hash },
      counters: new Map(),
      nonces: initialNonceState(genesis.hash),
    };
    const acquire = stateQueryAcquire({
      network: { genesis, ledgerParams },
      source,
      ledger: () => ledger,
      chain: () => state,
    });
    const path = join(dir, "ledger.socket");
    const log = { info() {}, debug() {}, warn() {} };
    const server = await listenLocal(path, {
      magic: MAGIC,
      source,
      log,
      submitTx: () => ({ accepted: true }),
      acquire,
    });
    try {
      const local = ["--socket-path", path, "--testnet-magic", `${MAGIC}`];
      const all = JSON.parse(await cli(["drep-state", "--all-dreps", ...local])) as unknown;
      assert.deepEqual(all, [
        [{ scriptHash: "5c".repeat(28) }, { anchor: null, deposit: 7, expiry: 3 }],
        [{ keyHash: "d1".repeat(28) }, { anchor: null, deposit: 500000000, expiry: 20 }],
      ]);
      const out = join(dir, "dreps.json");
      await cli(["drep-state", "--drep-script-hash", "5C".repeat(28), "--out-file", out, ...local]);
      assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), [(all as unknown[])[0]]);
      assert.equal((await cli(["treasury", ...local])).trim(), `${ledger.pots.treasury}`);

      // A constitution with a guardrail script; unknown to the ledger, the query closes the connection.
      ledger.constitutionAnchor = ["https://c.example", "cc".repeat(32)];
      ledger.constitutionPolicy = "fa".repeat(28);
      assert.deepEqual(JSON.parse(await cli(["constitution", ...local])), {
        anchor: { dataHash: "cc".repeat(32), url: "https://c.example" },
        script: "fa".repeat(28),
      });
      ledger.constitutionAnchor = null;
      const unknown = await runCli(["query", "constitution", ...local]);
      assert.notEqual(unknown.code, 0);

      // The committee: an active member with a hot key, an expired script member, an unrecognized hot key.
      ledger.committee.set("c1".repeat(28), 50);
      ledger.committee.set(scriptCredential("c2".repeat(28)), 0);
      ledger.committeeHot.set("c1".repeat(28), "f1".repeat(28));
      ledger.committeeHot.set("c3".repeat(28), "f3".repeat(28));
      ledger.committeeThreshold = rational(3n, 4n);
      ledger.epoch = 1;
      const members = JSON.parse(await cli(["committee-state", ...local])) as {
        committee: Record<string, { status: string }>;
      };
      assert.deepEqual(Object.keys(members.committee), [
        `keyHash-${"c1".repeat(28)}`,
        `keyHash-${"c3".repeat(28)}`,
        `scriptHash-${"c2".repeat(28)}`,
      ]);
      assert.deepEqual(
        Object.values(members.committee).map((m) => m.status),
        ["Active", "Unrecognized", "Expired"],
      );
      const active = JSON.parse(await cli(["committee-state", "--active", ...local])) as unknown;
      assert.deepEqual(active, {
        committee: {
          [`keyHash-${"c1".repeat(28)}`]: {
            expiration: 50,
            hotCredsAuthStatus: { contents: { keyHash: "f1".repeat(28) }, tag: "MemberAuthorized" },
            nextEpochChange: { tag: "NoChangeExpected" },
            status: "Active",
          },
        },
        epoch: 1,
        threshold: 0.75,
      });
      const byHot = JSON.parse(await cli(["committee-state", "--hot-key-hash", "f3".repeat(28), ...local])) as {
        committee: Record<string, unknown>;
      };
      assert.deepEqual(Object.keys(byHot.committee), [`keyHash-${"c3".repeat(28)}`]);
      const byCold = JSON.parse(
        await cli(["committee-state", "--cold-script-hash", "c2".repeat(28), "--expired", ...local]),
      ) as { committee: Record<string, unknown> };
      assert.deepEqual(Object.keys(byCold.committee), [`scriptHash-${"c2".repeat(28)}`]);
    } finally {
      await server.close();
    }
  });
});
