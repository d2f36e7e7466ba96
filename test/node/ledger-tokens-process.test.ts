// poolfleet-node as a process with multi-asset transactions: a devnet node accepts a transaction minting a token
// under a native-script policy (the genesis owner's signature), forges it into a block, then accepts one
// spending the token onwards; it refuses one that creates tokens without minting them (ValueNotConservedUTxO).
// After a restart on the same database (from the ledger snapshot the node writes when it stops) the tokens are
// still spendable, and every stored block replays from genesis.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { type NativeScript, scriptHashOf } from "../../src/ledger/native-script.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { equalAssets, normaliseAssets } from "../../src/ledger/value.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { startNode, type RunningNode, submitTx, txsForged } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-ledger-tokens-"));
const devnet = join(root, "devnet");
const db = join(root, "db");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

async function start(): Promise<RunningNode> {
  const pool = (f: string) => join(devnet, "pools", "pool1", f);
  const node = await startNode([
    "--config",
    join(devnet, "config.json"),
    "--database-path",
    db,
    "--shelley-kes-key",
    pool("kes.skey"),
    "--shelley-vrf-key",
    pool("vrf.skey"),
    "--shelley-operational-certificate",
    pool("node.cert"),
  ]);
  running.push(node);
  await waitFor("ready", async () => (await node.get("/ready")).status === 200);
  return node;
}

describe("poolfleet-node with tokens", () => {
  it("mints a native-script token, spends it, refuses tokens from nowhere, and keeps them across a restart", async () => {
    const r = await runCli(["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"]);
    assert.equal(r.code, 0, r.stderr);
    const ownerPayment = readKeyFile(join(devnet, "pools", "pool1", "payment.skey"), KEY_KINDS.paymentSigning);
    const ownerStake = readKeyFile(join(devnet, "pools", "pool1", "stake.skey"), KEY_KINDS.stakeSigning);
    const owner = wallet(ownerPayment, ownerStake);
    const bob = wallet();
    const funds = 1_000_000_000_000n;
    const fee = 400_000n;
    const policyScript: NativeScript = { kind: "RequireSignature", keyHash: owner.paymentHash };
    const policy = scriptHashOf(policyScript);
    const coin = (q: bigint) => normaliseAssets([[policy, "706f6f6c666c656574", q]]);

    let node = await start();
    const mint = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [
          { address: bob.address, coin: 5_000_000n, assets: coin(1000n) },
          { address: owner.address, coin: funds - 5_000_000n - fee },
        ],
        fee,
        mint: coin(1000n),
        nativeScripts: [policyScript],
      },
      [ownerPayment],
    );
    assert.deepEqual(await submitTx(node, mint.bytes), { status: 202, body: bytesToHex(mint.body.id) });
    await txsForged(node, 1);

    // Tokens from nowhere: the owner's change pays out 5 tokens that no input holds and no mint creates.
    const forgery = buildTx(
      {
        inputs: [{ txId: mint.body.id, index: 1 }],
        outputs: [{ address: owner.address, coin: funds - 5_000_000n - 2n * fee, assets: coin(5n) }],
        fee,
      },
      [ownerPayment],
    );
    const refused = await submitTx(node, forgery.bytes);
    assert.equal(refused.status, 400);
    assert.match(refused.body, /ValueNotConservedUTxO/);
    assert.match(refused.body, new RegExp(`5 ${policy}`));

    // Bob sends 400 of his tokens to the owner and keeps 600.
    const send = buildTx(
      {
        inputs: [{ txId: mint.body.id, index: 0 }],
        outputs: [
          { address: owner.address, coin: 1_500_000n, assets: coin(400n) },
          { address: bob.address, coin: 5_000_000n - 1_500_000n - fee, assets: coin(600n) },
        ],
        fee,
      },
      [bob.paymentSeed],
    );
    assert.deepEqual(await submitTx(node, send.bytes), { status: 202, body: bytesToHex(send.body.id) });
    await txsForged(node, 2);
    assert.equal(await node.stop(), 0);

    // Restarted on the same database, the node still knows bob holds 600: he burns them all.
    node = await start();
    const burn = buildTx(
      {
        inputs: [{ txId: send.body.id, index: 1 }],
        outputs: [{ address: bob.address, coin: 5_000_000n - 1_500_000n - 2n * fee }],
        fee,
        mint: coin(-600n),
        nativeScripts: [policyScript],
      },
      [bob.paymentSeed, ownerPayment],
    );
    assert.deepEqual(await submitTx(node, burn.bytes), { status: 202, body: bytesToHex(burn.body.id) });
    await txsForged(node, 1);
    assert.equal(await node.stop(), 0);

    // Every stored block replays from genesis; the owner ends with 400 tokens and bob with none.
    const net = loadNetwork(join(devnet, "config.json"));
    const chain = NodeChain.genesis(net);
    const store = ChainDb.open(db);
    for (let i = 0; i < store.length; i++) {
      const result = chain.applyBlock(decodeBlock(store.readBlock(i)));
      assert.ok(result.ok, `block ${i}: ${!result.ok && result.message}`);
    }
    store.close();
    const utxo = chain.ledger.utxo;
    assert.ok(equalAssets(utxo.get(outRef(send.body.id, 0))!.assets, coin(400n)));
    assert.equal(utxo.has(outRef(send.body.id, 1)), false, "bob's tokens were burned");
    assert.equal(utxo.get(outRef(burn.body.id, 0))!.assets.size, 0);
    assert.equal(chain.ledger.totalLovelace(), net.ledgerParams.maxLovelaceSupply);
  });
});
