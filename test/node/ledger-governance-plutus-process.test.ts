// poolfleet-node as a process with Plutus and governance transactions, now that the node gives the ledger the
// Alonzo and Conway genesis parameters (cost models, prices, limits, governance deposits and thresholds) and the
// Shelley genesis's slot-to-time conversion: a devnet node accepts a transaction locking ada at two PlutusV3
// scripts (inline datums), then a spend of the always-succeeding one (collateral, redeemer, script integrity hash
// over the Conway genesis's V3 cost model), and a DRep registration with an info action proposal and the new
// DRep's vote on it, and forges each into a block; a spend of the always-failing script is refused as the Haskell
// ledger names it (ValidationTagMismatch: is_valid claims success, the script fails), and so is a spend whose
// validity bound lies past the safe zone's horizon (TimeTranslationPastHorizon). The scripts are
// test/helpers/plutus-tx.ts's V3_SUCCEEDS and V3_FAILS: `(program 1.1.0 (lam ctx (con unit ())))` and `(program
// 1.1.0 (lam ctx (error)))` encoded with @harmoniclabs/uplc (flat in a CBOR byte string). Every stored block then
// replays from genesis with the supply invariant holding.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { bytesToHex, concatBytes, hexToBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { type Redeemer, scriptHash } from "../../src/ledger/plutus-witness.ts";
import { scriptIntegrityHash } from "../../src/ledger/rules/script-integrity.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { V3_FAILS, V3_SUCCEEDS } from "../helpers/plutus-tx.ts";
import { startNode, type RunningNode, submitTx, txsForged } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-ledger-gov-plutus-"));
const devnet = join(root, "devnet");
const db = join(root, "db");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

const scriptAddress = (bytes: Uint8Array) => concatBytes(Uint8Array.of(0x70), hexToBytes(scriptHash(3, bytes)));

describe("poolfleet-node with Plutus and governance", () => {
  it("forges a PlutusV3 spend and a DRep registration with a proposal and vote; refuses a failing script", async () => {
    const r = await runCli(["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"]);
    assert.equal(r.code, 0, r.stderr);
    const conway = JSON.parse(readFileSync(join(devnet, "conway-genesis.json"), "utf8")) as {
      plutusV3CostModel: number[];
      dRepDeposit: number;
      govActionDeposit: number;
    };
    const costModels = new Map([[3, conway.plutusV3CostModel.map(BigInt)]]);
    const pool = (f: string) => join(devnet, "pools", "pool1", f);
    const ownerPayment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
    const ownerStake = readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning);
    const owner = wallet(ownerPayment, ownerStake);
    const funds = 1_000_000_000_000n;
    const fee = 2_000_000n;
    const locked = 10_000_000n;

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

    // 1. Lock 10 ada at each script, with an inline datum.
    const datum = encodeCbor(42);
    const lock = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [
          { address: scriptAddress(V3_SUCCEEDS), coin: locked, inlineDatum: datum },
          { address: scriptAddress(V3_FAILS), coin: locked, inlineDatum: datum },
          { address: owner.address, coin: funds - 2n * locked - fee },
        ],
        fee,
      },
      [ownerPayment],
    );
    assert.deepEqual(await submitTx(node, lock.bytes), { status: 202, body: bytesToHex(lock.body.id) });
    await txsForged(node, 1);

    // 2. Spend a script-locked output with the owner's change as collateral; the integrity hash covers the
    // redeemer and the V3 cost model of the node's Conway genesis.
    const change = { txId: lock.body.id, index: 2 };
    const spendPlan = (script: Uint8Array, index: number, extraFee = 0n, ttl?: bigint): TxPlan => {
      const redeemer: Redeemer = {
        tag: "spend",
        index: 0,
        data: encodeCbor(0),
        exUnits: { mem: 1000n, steps: 100_000n },
      };
      const plan: TxPlan = {
        inputs: [{ txId: lock.body.id, index }, change],
        outputs: [{ address: owner.address, coin: funds - 2n * locked - 2n * fee - extraFee + locked }],
        fee: fee + extraFee,
        collateral: [change],
        ...(ttl !== undefined && { ttl }),
        plutusScripts: [{ language: 3, bytes: script }],
        redeemers: [redeemer],
      };
      const draft = buildTx({ ...plan, scriptDataHash: new Uint8Array(32) }, []);
      return { ...plan, scriptDataHash: scriptIntegrityHash(draft.witnesses.plutus, new Set([3]), costModels)! };
    };
    const failing = buildTx(spendPlan(V3_FAILS, 1), [ownerPayment]);
    const refused = await submitTx(node, failing.bytes);
    assert.equal(refused.status, 400, refused.body);
    assert.match(refused.body, /ValidationTagMismatch/);
    assert.doesNotMatch(refused.body, /UnsupportedFeature/);
    // A validity bound past the safe zone cannot be shown to the script as POSIX time.
    const farAway = buildTx(spendPlan(V3_SUCCEEDS, 0, 0n, 1_000_000_000n), [ownerPayment]);
    const past = await submitTx(node, farAway.bytes);
    assert.equal(past.status, 400, past.body);
    assert.match(past.body, /TimeTranslationPastHorizon/);
    const spend = buildTx(spendPlan(V3_SUCCEEDS, 0), [ownerPayment]);
    assert.deepEqual(await submitTx(node, spend.bytes), { status: 202, body: bytesToHex(spend.body.id) });
    await txsForged(node, 2);

    // 3. A DRep registers and proposes an info action (deposit back to the owner's registered stake address).
    const drep = wallet();
    const drepDeposit = BigInt(conway.dRepDeposit);
    const govDeposit = BigInt(conway.govActionDeposit);
    const available = funds - 2n * locked - 2n * fee + locked;
    const anchor = ["https://example.org/poolfleet", new Uint8Array(32)];
    const govern = buildTx(
      {
        inputs: [{ txId: spend.body.id, index: 0 }],
        outputs: [{ address: owner.address, coin: available - drepDeposit - govDeposit - fee }],
        fee,
        certificates: [{ kind: "DRepRegistration", credential: drep.paymentHash, deposit: drepDeposit, anchor: null }],
        proposals: [[govDeposit, hexToBytes(rewardAccount(owner.stakeHash)), [6], anchor]],
      },
      [ownerPayment, drep.paymentSeed],
    );
    assert.deepEqual(await submitTx(node, govern.bytes), { status: 202, body: bytesToHex(govern.body.id) });
    await txsForged(node, 3);

    // 4. The DRep votes yes on it.
    const vote = buildTx(
      {
        inputs: [{ txId: govern.body.id, index: 0 }],
        outputs: [{ address: owner.address, coin: available - drepDeposit - govDeposit - 2n * fee }],
        fee,
        votes: new Map([
          [
            [2, hexToBytes(drep.paymentHash)],
            new Map([
              [
                [govern.body.id, 0],
                [1, null],
              ],
            ]),
          ],
        ]),
      },
      [ownerPayment, drep.paymentSeed],
    );
    assert.deepEqual(await submitTx(node, vote.bytes), { status: 202, body: bytesToHex(vote.body.id) });
    await txsForged(node, 4);
    assert.equal(await node.stop(), 0);

    // Every stored block replays from genesis: the script output is spent, the failing one still locked, the
    // DRep registered with its vote on the open proposal, and the supply whole.
    const net = loadNetwork(join(devnet, "config.json"));
    assert.ok(net.ledgerParams.plutus?.time && net.ledgerParams.governance?.ratification, "the node's parameters");
    const chain = NodeChain.genesis(net);
    const store = ChainDb.open(db);
    for (let i = 0; i < store.length; i++) {
      const result = chain.applyBlock(decodeBlock(store.readBlock(i)));
      assert.ok(result.ok, `block ${i}: ${!result.ok && result.message}`);
    }
    store.close();
    const ledger = chain.ledger;
    assert.equal(ledger.utxo.has(outRef(lock.body.id, 0)), false, "the always-succeeds output is spent");
    assert.equal(ledger.utxo.get(outRef(lock.body.id, 1))?.coin, locked, "the always-fails output is still locked");
    assert.equal(ledger.dreps.get(drep.paymentHash)?.deposit, drepDeposit);
    const id = `${bytesToHex(govern.body.id)}#0`;
    assert.equal(ledger.proposals.get(id)?.action, 6, "the info action is open");
    assert.equal(ledger.votes.get(`${id}|drep:${drep.paymentHash}`), 1, "with the DRep's yes");
    assert.equal(ledger.totalLovelace(), net.ledgerParams.maxLovelaceSupply);
  });
});
