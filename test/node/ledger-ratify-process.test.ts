// poolfleet-node as a process through a governance round: a parameter change (keyDeposit 2 ada -> 3 ada, the
// economic group, which the DReps ratify and the devnet's empty zero-quorum committee accepts) is proposed with a
// DRep that registers and holds the genesis owner's vote delegation, and the DRep votes yes. Two epoch boundaries
// on (ratified at the first, enacted at the second, as Conway's DRep pulser does) the node's ledger asks for the
// new deposit: a stake registration stating 2 ada is refused (IncorrectDepositDELEG), one stating 3 ada is forged,
// and GetCurrentPParams over the node's socket answers 3 ada.
// Before enactment it was the other way round. The stored chain replays with the supply whole and the proposal
// enacted as its purpose's root, its deposit back in the owner's rewards.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { currentParams } from "../../src/ledger/param-changes.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { startNode, type RunningNode, submitTx, txsForged } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-ledger-ratify-"));
const devnet = join(root, "devnet");
const db = join(root, "db");
const socket = join(root, "node.socket");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("poolfleet-node through a governance round", () => {
  it("enacts a DRep-ratified keyDeposit change two epoch boundaries on, and then asks for the new deposit", async () => {
    const r = await runCli([
      "genesis",
      "create",
      "--pools",
      "1",
      "--out-dir",
      devnet,
      "--slot-length",
      "0.1",
      "--epoch-length",
      "60",
      "--security-param",
      "2",
      "--active-slot-coeff",
      "1/2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const conway = JSON.parse(readFileSync(join(devnet, "conway-genesis.json"), "utf8")) as {
      dRepDeposit: number;
      govActionDeposit: number;
    };
    const pool = (f: string) => join(devnet, "pools", "pool1", f);
    const ownerPayment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
    const ownerStake = readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning);
    const owner = wallet(ownerPayment, ownerStake);
    const drep = wallet();
    const funds = 1_000_000_000_000n;
    const fee = 1_000_000n;
    const drepDeposit = BigInt(conway.dRepDeposit);
    const govDeposit = BigInt(conway.govActionDeposit);

    const node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      db,
      "--socket-path",
      socket,
      "--shelley-kes-key",
      pool("kes.skey"),
      "--shelley-vrf-key",
      pool("vrf.skey"),
      "--shelley-operational-certificate",
      pool("node.cert"),
    ]);
    running.push(node);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200);

    // A fresh stake key registering with a stated deposit, from the owner's latest change.
    const register = (input: { txId: Uint8Array; index: number }, coin: bigint, deposit: bigint) => {
      const key = wallet();
      return buildTx(
        {
          inputs: [input],
          outputs: [{ address: owner.address, coin: coin - deposit - fee }],
          fee,
          certificates: [{ kind: "StakeRegistration", credential: key.stakeHash, deposit }],
        },
        [ownerPayment, key.stakeSeed],
      );
    };

    // The DRep registers, the owner delegates its vote to it, and a keyDeposit change is proposed.
    let coin = funds - drepDeposit - govDeposit - fee;
    const propose = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [{ address: owner.address, coin }],
        fee,
        certificates: [
          { kind: "DRepRegistration", credential: drep.paymentHash, deposit: drepDeposit, anchor: null },
          { kind: "VoteDelegation", credential: owner.stakeHash, drep: drep.paymentHash },
        ],
        proposals: [
          [
            govDeposit,
            hexToBytes(rewardAccount(owner.stakeHash)),
            [0, null, new Map([[5, 3_000_000]]), null],
            ["https://example.org/poolfleet", new Uint8Array(32)],
          ],
        ],
      },
      [ownerPayment, ownerStake, drep.paymentSeed],
    );
    assert.deepEqual(await submitTx(node, propose.bytes), { status: 202, body: bytesToHex(propose.body.id) });
    await txsForged(node, 1);
    const vote = buildTx(
      {
        inputs: [{ txId: propose.body.id, index: 0 }],
        outputs: [{ address: owner.address, coin: coin - fee }],
        fee,
        votes: new Map([
          [
            [2, hexToBytes(drep.paymentHash)],
            new Map([
              [
                [propose.body.id, 0],
                [1, null],
              ],
            ]),
          ],
        ]),
      },
      [ownerPayment, drep.paymentSeed],
    );
    coin -= fee;
    assert.deepEqual(await submitTx(node, vote.bytes), { status: 202, body: bytesToHex(vote.body.id) });
    await txsForged(node, 2);
    const votedIn = (await node.metric("cardano_node_metrics_epoch_int")) ?? 0;

    // Not yet enacted: the new deposit is refused.
    const early = await submitTx(node, register({ txId: vote.body.id, index: 0 }, coin, 3_000_000n).bytes);
    assert.equal(early.status, 400, early.body);
    assert.match(early.body, /IncorrectDepositDELEG/);

    // Ratified at the boundary after the vote's epoch, enacted at the one after that.
    await waitFor(
      "two epoch boundaries after the vote",
      async () => ((await node.metric("cardano_node_metrics_epoch_int")) ?? 0) >= votedIn + 2,
      60_000,
    );
    const old = await submitTx(node, register({ txId: vote.body.id, index: 0 }, coin, 2_000_000n).bytes);
    assert.equal(old.status, 400, old.body);
    assert.match(old.body, /IncorrectDepositDELEG/);
    // Over node-to-client, GetCurrentPParams answers the enacted deposit (cardano-cli's protocol-parameters JSON).
    const pp = await runCli(["query", "protocol-parameters", "--socket-path", socket, "--testnet-magic", "42"]);
    assert.equal(pp.code, 0, pp.stderr);
    assert.equal((JSON.parse(pp.stdout) as { stakeAddressDeposit: number }).stakeAddressDeposit, 3_000_000);
    const fresh = register({ txId: vote.body.id, index: 0 }, coin, 3_000_000n);
    assert.deepEqual(await submitTx(node, fresh.bytes), { status: 202, body: bytesToHex(fresh.body.id) });
    await txsForged(node, 3);
    assert.equal(await node.stop(), 0);

    const net = loadNetwork(join(devnet, "config.json"));
    const chain = NodeChain.genesis(net);
    const store = ChainDb.open(db);
    for (let i = 0; i < store.length; i++) {
      const result = chain.applyBlock(decodeBlock(store.readBlock(i)));
      assert.ok(result.ok, `block ${i}: ${!result.ok && result.message}`);
    }
    store.close();
    const ledger = chain.ledger;
    const id = `${bytesToHex(propose.body.id)}#0`;
    assert.equal(ledger.govRoots.get("pparams"), id, "the change is its purpose's root");
    assert.equal(ledger.proposals.size, 0);
    assert.equal(currentParams(net.ledgerParams, ledger).keyDeposit, 3_000_000n);
    assert.ok(ledger.accounts.get(owner.stakeHash)!.reward >= govDeposit, "the proposal deposit came back");
    assert.equal(ledger.totalLovelace(), net.ledgerParams.maxLovelaceSupply);
  });
});
