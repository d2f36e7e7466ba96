// poolfleet-cli's node queries against a real poolfleet-node's socket on a devnet: `query tip`,
// `query protocol-parameters`, `query utxo` (by address, bech32 and hex, and by input), `query stake-pools`,
// `query stake-snapshot` and
// `query tx-mempool info|next-tx|tx-exists`, each printing cardano-cli's JSON field names, checked against the
// genesis, /api/ledger and the transaction submitted; the socket from CARDANO_NODE_SOCKET_PATH; a wrong magic
// and a missing socket refused with one line.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { bech32 } from "@scure/base";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { createDevnet, runCli } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-cli-query-"));
const devnet = join(dir, "devnet");
const socket = join(dir, "node.socket");
let node: RunningNode | undefined;
after(() => {
  node?.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const pool = (f: string) => join(devnet, "pools", "pool1", f);
const at = ["--socket-path", socket, "--testnet-magic", "42"];

async function query(args: string[], env?: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const r = await runCli(["query", ...args], 60_000, env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("poolfleet-cli query over node-to-client", () => {
  before(async () => createDevnet(devnet, { slotLength: "0.1" }), { timeout: 120_000 });
  // A failed check leaves its node running: end it, or the next test cannot take the socket and the run never ends.
  afterEach(() => {
    node?.child.kill("SIGKILL");
    node = undefined;
  });

  it("query tip, protocol-parameters and utxo answer as the node, the genesis and /api/ledger say", async () => {
    node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(dir, "db"),
      "--socket-path",
      socket,
      "--shelley-kes-key",
      pool("kes.skey"),
      "--shelley-vrf-key",
      pool("vrf.skey"),
      "--shelley-operational-certificate",
      pool("node.cert"),
    ]);
    await waitFor("a few forged blocks", async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 3, 30_000);
    const genesis = JSON.parse(readFileSync(join(devnet, "shelley-genesis.json"), "utf8")) as {
      epochLength: number;
      systemStart: string;
      slotLength: number;
      protocolParams: Record<string, number>;
    };

    const asked = Date.now();
    const tip = await query(["tip", ...at]);
    const answered = Date.now();
    assert.deepEqual(Object.keys(tip).sort(), [
      "block",
      "epoch",
      "era",
      "hash",
      "slot",
      "slotInEpoch",
      "slotsToEpochEnd",
      "syncProgress",
    ]);
    const after = (await node.metric("poolfleet_tip_block"))!;
    assert.ok((tip.block as number) >= 3 && (tip.block as number) <= after, `block ${tip.block} of ${after}`);
    assert.equal(tip.era, "Conway");
    assert.match(tip.hash as string, /^[0-9a-f]{64}$/);
    assert.equal(tip.epoch, Math.floor((tip.slot as number) / genesis.epochLength));
    assert.equal(tip.slotInEpoch, (tip.slot as number) % genesis.epochLength);
    assert.equal((tip.slotInEpoch as number) + (tip.slotsToEpochEnd as number), genesis.epochLength);
    // syncProgress: the tip's time since the system start over the time elapsed when the command ran.
    const start = Date.parse(genesis.systemStart);
    const tipAge = (tip.slot as number) * genesis.slotLength * 1000;
    const [low, high] = [answered, asked].map((now) => Math.min(100, (tipAge / (now - start)) * 100));
    const progress = Number(tip.syncProgress);
    assert.ok(progress >= low! - 0.01 && progress <= high! + 0.01, `syncProgress ${progress} in [${low}, ${high}]`);

    const pp = await query(["protocol-parameters", ...at], { ...process.env, CARDANO_NODE_SOCKET_PATH: socket });
    const g = genesis.protocolParams;
    assert.deepEqual(
      [pp.txFeePerByte, pp.txFeeFixed, pp.maxBlockBodySize, pp.maxTxSize, pp.stakeAddressDeposit, pp.stakePoolDeposit],
      [g.minFeeA, g.minFeeB, g.maxBlockBodySize, g.maxTxSize, g.keyDeposit, g.poolDeposit],
    );
    assert.deepEqual([pp.poolRetireMaxEpoch, pp.stakePoolTargetNum, pp.minPoolCost], [g.eMax, g.nOpt, g.minPoolCost]);
    assert.deepEqual([pp.poolPledgeInfluence, pp.monetaryExpansion, pp.treasuryCut], [g.a0, g.rho, g.tau]);
    assert.deepEqual(pp.protocolVersion, { major: 10, minor: 0 });
    assert.equal(pp.utxoCostPerByte, 4310);
    assert.equal(Object.keys(pp.poolVotingThresholds as object).length, 5);
    assert.equal(Object.keys(pp.dRepVotingThresholds as object).length, 10);
    // The Plutus and governance fields are the ledger's: the devnet's Alonzo and Conway genesis values.
    type Units = { exUnitsMem: number; exUnitsSteps: number };
    const alonzo = JSON.parse(readFileSync(join(devnet, "alonzo-genesis.json"), "utf8")) as {
      executionPrices: { prMem: number; prSteps: number };
      maxTxExUnits: Units;
      maxBlockExUnits: Units;
    } & Record<string, unknown>;
    const conway = JSON.parse(readFileSync(join(devnet, "conway-genesis.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(pp.costModels, { PlutusV3: conway.plutusV3CostModel });
    assert.deepEqual(pp.executionUnitPrices, {
      priceMemory: alonzo.executionPrices.prMem,
      priceSteps: alonzo.executionPrices.prSteps,
    });
    const units = (u: Units) => ({ memory: u.exUnitsMem, steps: u.exUnitsSteps });
    assert.deepEqual(pp.maxTxExecutionUnits, units(alonzo.maxTxExUnits));
    assert.deepEqual(pp.maxBlockExecutionUnits, units(alonzo.maxBlockExUnits));
    assert.deepEqual(
      [pp.collateralPercentage, pp.maxCollateralInputs, pp.maxValueSize],
      [alonzo.collateralPercentage, alonzo.maxCollateralInputs, alonzo.maxValueSize],
    );
    assert.deepEqual(
      [pp.dRepDeposit, pp.dRepActivity, pp.govActionDeposit, pp.govActionLifetime],
      [conway.dRepDeposit, conway.dRepActivity, conway.govActionDeposit, conway.govActionLifetime],
    );
    assert.deepEqual(
      [pp.committeeMinSize, pp.committeeMaxTermLength, pp.minFeeRefScriptCostPerByte],
      [conway.committeeMinSize, conway.committeeMaxTermLength, conway.minFeeRefScriptCostPerByte],
    );
    assert.deepEqual(pp.dRepVotingThresholds, conway.dRepVotingThresholds);
    assert.deepEqual(pp.poolVotingThresholds, conway.poolVotingThresholds);

    const owner = wallet(
      readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning),
      readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning),
    );
    const bech = bech32.encode("addr_test", bech32.toWords(owner.address), false);
    const ref = `${bytesToHex(blake2b256(owner.address))}#0`;
    const expected = {
      [ref]: {
        address: bech,
        datum: null,
        datumhash: null,
        inlineDatum: null,
        referenceScript: null,
        value: { lovelace: 1_000_000_000_000 },
      },
    };
    assert.deepEqual(await query(["utxo", "--address", bech, ...at]), expected);
    assert.deepEqual(await query(["utxo", "--address", bytesToHex(owner.address), ...at]), expected);
    assert.deepEqual(await query(["utxo", "--tx-in", ref, ...at]), expected);
    const whole = await query(["utxo", "--whole-utxo", ...at]);
    const ledger = JSON.parse((await node.api("/api/ledger")).body) as { utxoEntries: number };
    assert.equal(Object.keys(whole).length, ledger.utxoEntries);

    // The one pool, in bech32; its stake snapshots as cardano-cli shows them, by id and for all pools.
    const poolId = JSON.parse((await node.api("/api/ledger")).body).pools[0].poolId as string;
    const poolBech = bech32.encode("pool", bech32.toWords(Buffer.from(poolId, "hex")));
    assert.deepEqual(await query(["stake-pools", ...at]), [poolBech]);
    const snapshot = await query(["stake-snapshot", "--stake-pool-id", poolBech, ...at]);
    assert.deepEqual(Object.keys(snapshot.pools as object), [poolId]);
    const stakes = (snapshot.pools as Record<string, Record<string, number>>)[poolId]!;
    assert.deepEqual(Object.keys(stakes).sort(), ["stakeGo", "stakeMark", "stakeSet"]);
    assert.equal(
      stakes.stakeMark,
      (snapshot.total as Record<string, number>).stakeMark,
      "one pool holds all the stake",
    );
    const all = await query(["stake-snapshot", "--all-stake-pools", ...at]);
    assert.deepEqual(Object.keys(all.pools as object), [poolId]);
    const bad = await runCli(["query", "stake-snapshot", "--stake-pool-id", "pool1nope", ...at]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /is not a pool id/);

    const wrong = await runCli(["query", "tip", "--socket-path", socket, "--testnet-magic", "43"]);
    assert.equal(wrong.code !== 0, true);
    assert.match(wrong.stderr, /refused the handshake/);
    const missing = await runCli([
      "query",
      "tip",
      "--socket-path",
      join(dir, "nothing.socket"),
      "--testnet-magic",
      "42",
    ]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /cannot connect to .*nothing\.socket/);
    assert.equal(await node.stop(), 0);
    node = undefined;
  });

  it("query tx-mempool info, next-tx and tx-exists show a submitted transaction", async () => {
    // No keys: nothing forges, so the transaction stays in the mempool.
    node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(dir, "db2"),
      "--socket-path",
      socket,
    ]);
    await waitFor("the local socket", () => existsSync(socket), 30_000);
    const empty = await query(["tx-mempool", "info", ...at]);
    assert.deepEqual(Object.keys(empty).sort(), ["capacityInBytes", "numberOfTxs", "sizeInBytes", "slot"]);
    assert.deepEqual([empty.numberOfTxs, empty.sizeInBytes], [0, 0]);
    assert.deepEqual((await query(["tx-mempool", "next-tx", ...at])).nextTx, null);

    const payment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
    const owner = wallet(payment, readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning));
    const fee = 400_000n;
    const tx = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [{ address: owner.address, coin: 1_000_000_000_000n - fee }],
        fee,
      },
      [payment],
    );
    const submitted = await node.api("/api/submit/tx", {
      method: "POST",
      body: Buffer.from(tx.bytes),
      headers: { "content-type": "application/cbor" },
    });
    assert.ok(submitted.status < 300, submitted.body);
    const id = bytesToHex(tx.body.id);
    const info = await query(["tx-mempool", "info", ...at]);
    const ledger = JSON.parse((await node.api("/api/ledger")).body) as { mempool: { capacityBytes: number } };
    assert.deepEqual(
      [info.numberOfTxs, info.sizeInBytes, info.capacityInBytes],
      [1, tx.bytes.length, ledger.mempool.capacityBytes],
    );
    assert.equal((await query(["tx-mempool", "next-tx", ...at])).nextTx, id);
    const exists = await query(["tx-mempool", "tx-exists", id, ...at]);
    assert.deepEqual([exists.exists, exists.txId], [true, id]);
    assert.equal((await query(["tx-mempool", "tx-exists", "00".repeat(32), ...at])).exists, false);
    assert.equal(await node.stop(), 0);
    node = undefined;
  });
});
