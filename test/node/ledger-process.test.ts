// poolfleet-node as a process applying submitted transactions: payments and bad input (garbage, a repeated
// input) through POST /api/submit/tx, and a stake pool registered after genesis that starts leading exactly two epochs after
// the epoch its registration landed in (the mark snapshot at the next boundary becomes the set one after).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { issuerPoolId } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { blockTransactions } from "../../src/ledger/tx.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { newPool, wallet } from "../helpers/ledger.ts";
import { startNode, type RunningNode, submitTx } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-ledger-node-"));
const devnet = join(root, "devnet");
const keysDir = join(root, "keys");
const poolB = join(root, "poolB");
const db = join(root, "db");
const running: RunningNode[] = [];
const EPOCH_SLOTS = 40;

async function cli(args: string[]) {
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
}

/** Put pool A's or pool B's hot keys where the node reads them. */
function useKeys(from: string) {
  for (const f of ["kes.skey", "vrf.skey", "node.cert"]) copyFileSync(join(from, f), join(keysDir, f));
}

before(async () => {
  // 0.1 s slots, 40-slot epochs (4 s), f = 1/2, k = 2: epoch boundaries come every few seconds.
  await cli([
    "genesis",
    "create",
    "--pools",
    "1",
    "--out-dir",
    devnet,
    "--slot-length",
    "0.1",
    "--epoch-length",
    String(EPOCH_SLOTS),
    "--active-slot-coeff",
    "0.5",
    "--security-param",
    "2",
  ]);
  mkdirSync(keysDir);
  mkdirSync(poolB);
  useKeys(join(devnet, "pools", "pool1"));
  const b = (f: string) => join(poolB, f);
  await cli([
    "node",
    "key-gen",
    "--cold-verification-key-file",
    b("cold.vkey"),
    "--cold-signing-key-file",
    b("cold.skey"),
    "--operational-certificate-issue-counter-file",
    b("cold.counter"),
  ]);
  await cli(["node", "key-gen-KES", "--verification-key-file", b("kes.vkey"), "--signing-key-file", b("kes.skey")]);
  await cli(["node", "key-gen-VRF", "--verification-key-file", b("vrf.vkey"), "--signing-key-file", b("vrf.skey")]);
  await cli([
    "node",
    "issue-op-cert",
    "--kes-verification-key-file",
    b("kes.vkey"),
    "--cold-signing-key-file",
    b("cold.skey"),
    "--operational-certificate-issue-counter-file",
    b("cold.counter"),
    "--kes-period",
    "0",
    "--out-file",
    b("node.cert"),
  ]);
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
});

describe("poolfleet-node with its ledger", () => {
  it("applies submitted transactions, and a pool registered after genesis leads from two epochs later", async () => {
    const node = await startNode(
      [
        "--config",
        join(devnet, "config.json"),
        "--database-path",
        db,
        "--shelley-kes-key",
        join(keysDir, "kes.skey"),
        "--shelley-vrf-key",
        join(keysDir, "vrf.skey"),
        "--shelley-operational-certificate",
        join(keysDir, "node.cert"),
      ],
      {},
    );
    running.push(node);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200);

    // Bad input is refused with the reason, and the node keeps going.
    const garbage = await submitTx(node, Uint8Array.of(0x84, 0x01));
    assert.equal(garbage.status, 400);
    assert.match(garbage.body, /transaction/);

    const pool1 = (f: string) => join(devnet, "pools", "pool1", f);
    const ownerPayment = readKeyFile(pool1("payment.skey"), KEY_KINDS.paymentSigning);
    const ownerStake = readKeyFile(pool1("stake.skey"), KEY_KINDS.stakeSigning);
    const owner = wallet(ownerPayment, ownerStake);
    const funds = 1_000_000_000_000n;

    // One input listed twice, outputs taking twice its funds: refused (inputs are a set), nothing created.
    const genesisIn = { txId: blake2b256(owner.address), index: 0 };
    const twice = buildTx(
      {
        inputs: [genesisIn, genesisIn],
        outputs: [
          { address: owner.address, coin: funds },
          { address: owner.address, coin: funds - 400_000n },
        ],
        fee: 400_000n,
      },
      [ownerPayment],
      { protocolMajor: 8 }, // built as an earlier era would read it; the node decodes as Conway does
    );
    const duplicate = await submitTx(node, twice.bytes);
    assert.equal(duplicate.status, 400);
    assert.match(duplicate.body, /input 1 repeats input 0/);

    // The genesis owner registers pool B, a new stake key, delegates it to B and moves 600k ada there.
    const coldSeed = readKeyFile(join(poolB, "cold.skey"), KEY_KINDS.coldSigning);
    const coldVkey = readKeyFile(join(poolB, "cold.vkey"), KEY_KINDS.coldVerification);
    const vrfVkey = readKeyFile(join(poolB, "vrf.vkey"), KEY_KINDS.vrfVerification);
    const delegator = wallet();
    const base = newPool(delegator);
    const poolId = bytesToHex(blake2b224(coldVkey));
    const params = { ...base.params, operator: poolId, vrfKeyHash: bytesToHex(blake2b256(vrfVkey)) };
    const ledger = JSON.parse((await node.api("/api/ledger")).body);
    const keyDeposit = 2_000_000n;
    const poolDeposit = 500_000_000n;
    const fee = 400_000n;
    const registration = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [
          { address: delegator.address, coin: 600_000_000_000n },
          { address: owner.address, coin: funds - 600_000_000_000n - fee - keyDeposit - poolDeposit },
        ],
        fee,
        certificates: [
          { kind: "PoolRegistration", pool: params },
          { kind: "StakeRegistration", credential: delegator.stakeHash },
          { kind: "StakeDelegation", credential: delegator.stakeHash, poolId },
        ],
      },
      [ownerPayment, coldSeed, delegator.stakeSeed],
    );
    const accepted = await submitTx(node, registration.bytes);
    assert.deepEqual(accepted, { status: 202, body: bytesToHex(registration.body.id) });
    const again = await submitTx(node, registration.bytes);
    assert.equal(again.status, 400, "a duplicate is refused");
    assert.equal(ledger.pools.length, 1);

    const included = await waitFor(
      "the registration in a forged block",
      async () => {
        const l = JSON.parse((await node.api("/api/ledger")).body);
        return l.pools.some((p: { poolId: string }) => p.poolId === poolId) ? l : undefined;
      },
      20_000,
    );
    assert.equal(await node.metric("poolfleet_mempool_txs"), 0);
    assert.ok((await node.metric("poolfleet_txs_in_blocks_total"))! >= 1);
    const doubleSpend = await submitTx(node, registration.bytes);
    assert.equal(doubleSpend.status, 400);
    assert.match(doubleSpend.body, /not in the UTxO/);

    // Switch the node to pool B's keys: the gate passes (registered), but B has no stake until epoch E + 2.
    useKeys(poolB);
    node.child.kill("SIGHUP");
    await waitFor(
      "forging with pool B",
      async () => node.logs.some((l) => l.includes("forging enabled") && l.includes(poolId)) || undefined,
    );
    const registeredEpoch: number = included.epoch;
    await waitFor(
      "pool B forging in epoch E + 2",
      async () => {
        const l = JSON.parse((await node.api("/api/ledger")).body);
        return (
          (l.epoch >= registeredEpoch + 2 && (await node.metric("poolfleet_tip_epoch"))! >= registeredEpoch + 2) ||
          undefined
        );
      },
      30_000,
    );
    assert.equal(await node.stop(), 0);

    // Every stored block validates from genesis; B's blocks all come from epoch E + 2 on, and there are some.
    const net = loadNetwork(join(devnet, "config.json"));
    const chain = NodeChain.genesis(net);
    const store = ChainDb.open(db);
    let registrationEpoch = -1;
    const epochsOfB: number[] = [];
    for (let i = 0; i < store.length; i++) {
      const block = decodeBlock(store.readBlock(i));
      const r = chain.applyBlock(block);
      assert.ok(r.ok, `block ${i}: ${!r.ok && r.message}`);
      const epoch = net.clock.epochOfSlot(Number(block.header.body.slot));
      if (blockTransactions(block).some((t) => bytesToHex(t.body.id) === bytesToHex(registration.body.id)))
        registrationEpoch = epoch;
      if (bytesToHex(issuerPoolId(block.header)) === poolId) epochsOfB.push(epoch);
    }
    store.close();
    assert.ok(registrationEpoch >= 0, "the registration is in a stored block");
    assert.ok(epochsOfB.length > 0, "pool B forged");
    assert.ok(
      epochsOfB.every((e) => e >= registrationEpoch + 2),
      `pool B led in epochs ${[...new Set(epochsOfB)].join(", ")}; registered in ${registrationEpoch}`,
    );
    assert.ok(
      node.logs.some((l) => l.includes("not leading")),
      "the node said pool B had no stake before it took effect",
    );
    assert.equal(chain.ledger.totalLovelace(), net.ledgerParams.maxLovelaceSupply);
  });
});
