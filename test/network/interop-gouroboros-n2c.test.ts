// Interop with gouroboros's node-to-client client (Go, an independent implementation) on a real poolfleet-node's
// --socket-path: the N2C handshake, local chain-sync from origin with every block's hash (computed by
// gouroboros's ledger code) checked against the node's chain database, a transaction submitted with local
// tx-submission that then lands in a forged block, and a bad one refused with the ledger's failure (gouroboros
// decodes our ApplyTxErr). The Go harness in test/interop/gouroboros-n2c is built from the Go module proxy into
// .cache/go, like the node-to-node harness; without a Go toolchain the test is skipped.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { decodeCbor } from "../../src/codec/cbor.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { runHarness } from "../helpers/harness-run.ts";
import { wallet } from "../helpers/ledger.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";
import { goHarness, haveGo } from "../helpers/go-harness.ts";

const { binary, build } = goHarness("gouroboros-n2c", "gouroboros-n2c");

const run = (args: string[], ms: number) => runHarness("gouroboros-n2c", binary, args, ms);

const dir = mkdtempSync(join(tmpdir(), "pf-n2c-interop-"));
const devnet = join(dir, "devnet");
const db = join(dir, "db");
const socket = join(dir, "node.socket");
let node: RunningNode | undefined;
after(async () => {
  node?.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("interop with gouroboros's node-to-client client", { skip: haveGo ? false : "no Go toolchain" }, () => {
  before(
    async () => {
      const problem = build();
      if (problem) throw new Error(problem);
      const r = await runCli([
        "genesis",
        "create",
        "--pools",
        "1",
        "--out-dir",
        devnet,
        "--slot-length",
        "0.1",
        "--active-slot-coeff",
        "0.5",
      ]);
      assert.equal(r.code, 0, r.stderr);
    },
    { timeout: 600_000 },
  );

  it("follows the chain block by block, submits a transaction that lands in a block, and gets a refusal", async () => {
    const pool = (f: string) => join(devnet, "pools", "pool1", f);
    node = await startNode([
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
    await waitFor("a few forged blocks", async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 3, 30_000);
    assert.equal(statSync(socket).mode & 0o777, 0o660);

    const payment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
    const owner = wallet(payment, readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning));
    const ledger = JSON.parse((await node.api("/api/ledger")).body) as { utxoEntries: number };
    assert.ok(ledger.utxoEntries >= 1);
    const fee = 400_000n;
    const funds = 1_000_000_000_000n;
    const good = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [
          { address: owner.address, coin: 10_000_000n },
          { address: owner.address, coin: funds - 10_000_000n - fee },
        ],
        fee,
      },
      [payment],
    );
    // Spends an output that never existed: the ledger's BadInputsUTxO.
    const bad = buildTx(
      {
        inputs: [{ txId: new Uint8Array(32).fill(7), index: 3 }],
        outputs: [{ address: owner.address, coin: 5_000_000n }],
        fee,
      },
      [payment],
    );
    const events = await run([socket, "42", "3", bytesToHex(good.bytes), bytesToHex(bad.bytes)], 120_000);
    const magicCheck = events.find((e) => e.event === "handshake");
    assert.ok(magicCheck, JSON.stringify(events));
    const submitted = events.filter((e) => e.event === "submitted");
    assert.deepEqual(
      submitted.map((e) => [e.tx, e.accepted]),
      [
        ["good", true],
        ["bad", false],
      ],
    );
    // gouroboros reads our reason as a Conway ledger failure (not its generic fallback) ...
    assert.match(String(submitted[1]!.error), /^ShelleyTxValidationError ShelleyBasedEraConway \(ApplyTxError/);
    // ... and the reason it received is BadInputsUTxO naming the input that never existed.
    const reason = decodeCbor(Uint8Array.from(Buffer.from(String(submitted[1]!.reasonCbor), "hex"))) as [
      [number, unknown[]],
    ];
    assert.deepEqual(reason, [[6, [[1, [0, [1, [[new Uint8Array(32).fill(7), 3]]]]]]]]);
    const included = events.find((e) => e.event === "included");
    assert.equal(included?.tx, bytesToHex(good.body.id));
    const done = events.find((e) => e.event === "done") as unknown as { version: number; blocks: { hash: string }[] };
    assert.ok(done.version >= (16 | 0x8000), `N2C version ${done.version}`);

    assert.equal(await node.stop(), 0);
    node = undefined;
    assert.equal(existsSync(socket), false, "the socket is removed on stop");
    const store = ChainDb.open(db);
    const ours: string[] = [];
    for (let i = 0; i < store.length && ours.length < done.blocks.length; i++)
      ours.push(bytesToHex(decodeBlock(store.readBlock(i)).header.hash));
    assert.ok(done.blocks.length >= 4, `saw ${done.blocks.length} blocks`);
    assert.deepEqual(
      done.blocks.map((b) => b.hash),
      ours,
    );
  });
});
