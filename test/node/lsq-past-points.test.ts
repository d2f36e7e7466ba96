// Local state-query acquires at points behind the tip, against a real poolfleet-node's socket on a devnet (k = 10):
// a point of the volatile window gets the ledger and protocol state of that block (re-derived from a snapshot plus
// replay), checked with a transaction — its output absent at the point before its block and present at the tip,
// its input the other way round — and with the chain point, block number and Praos last slot each acquire
// reports; the immutable tip is k blocks back; a point more than k blocks back is refused as too old, one not on
// the chain as not on chain; and the node keeps forging and answering at the tip throughout. Later, with a ledger
// snapshot kept below the immutable tip, the state k blocks back is re-derived from it (UTxO and Praos state).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CborValue } from "../../src/codec/cbor.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { conwayQuery, LocalNode } from "../../src/cli/local-node.ts";
import { createDevnet } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { startProducer, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-lsq-past-"));
const devnet = join(dir, "devnet");
const socket = join(dir, "node.socket");
const pool = (f: string) => join(devnet, "pools", "pool1", f);
let node: RunningNode | undefined;
let client: LocalNode | undefined;
const K = 10; // the devnet's securityParam

const pointOf = (answer: CborValue): { slot: bigint; hash: Uint8Array } => {
  const [slot, hash] = answer as [number | bigint, Uint8Array];
  return { slot: BigInt(slot), hash };
};
const blockNo = (answer: CborValue): number => Number((answer as [number, number])[1]);

describe("local state-query at points behind the tip", () => {
  before(
    async () => {
      await createDevnet(devnet, { slotLength: "0.1" });
      node = await startProducer(devnet, join(dir, "db"), socket);
      await waitFor("a forged block", async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= 2, 60_000);
      client = await LocalNode.connect({ path: socket, magic: 42 });
    },
    { timeout: 120_000 },
  );
  after(() => {
    client?.close();
    node?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers from the state of a recent point, the immutable tip, and refuses what is too old or not on chain", async () => {
    const c = client!;
    const payment = readKeyFile(pool("payment.skey"), KEY_KINDS.paymentSigning);
    const owner = wallet(payment, readKeyFile(pool("stake.skey"), KEY_KINDS.stakeSigning));
    const input = [blake2b256(owner.address), 0];
    const [early, earlyBlock] = await c.query([3], [2]);
    const fee = 400_000n;
    const tx = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [{ address: owner.address, coin: 1_000_000_000_000n - fee }],
        fee,
      },
      [payment],
    );
    // The tip just before the transaction goes in, then the tip once a block holds it.
    const [before] = await c.query([3]);
    const submitted = await node!.api("/api/submit/tx", {
      method: "POST",
      body: Buffer.from(tx.bytes),
      headers: { "content-type": "application/cbor" },
    });
    assert.ok(submitted.status < 300, submitted.body);
    const output = [tx.body.id, 0];
    const utxo = async (target: Parameters<LocalNode["queryAt"]>[0]) => {
      const r = await c.queryAt(target, conwayQuery(15, [input, output]), [3], [2], conwayQuery(13));
      assert.ok(!("failure" in r), `acquired ${JSON.stringify(r)}`);
      const [[held], point, block, [[, praos]]] = r as [
        [Map<CborValue[], unknown>],
        CborValue,
        CborValue,
        [[number, CborValue[]]],
      ];
      const ids = [...held.keys()].map((k) => `${bytesToHex(k[0] as Uint8Array)}#${k[1]}`);
      return { ids, point, block: blockNo(block), lastSlot: (praos[0] as [number, number])[1] };
    };
    const inId = `${bytesToHex(input[0] as Uint8Array)}#0`;
    const outId = `${bytesToHex(tx.body.id)}#0`;
    await waitFor("the transaction in a block", async () => (await utxo("tip")).ids.includes(outId), 30_000);

    const past = await utxo({ point: pointOf(before!) });
    assert.deepEqual(past.ids, [inId], "before its block: the input unspent, no output");
    assert.equal(bytesToHex(pointOf(past.point).hash), bytesToHex(pointOf(before!).hash), "GetChainPoint: that point");
    assert.equal(Number(past.lastSlot), Number(pointOf(before!).slot), "Praos's last slot: that block's");
    const now = await utxo("tip");
    assert.deepEqual(now.ids, [outId], "at the tip: the output, the input spent");
    assert.ok(now.block > past.block);

    // k + 1 blocks later: the early point is too old, the immutable tip is k blocks behind the tip.
    const target = blockNo(earlyBlock!) + K + 2;
    await waitFor(`block ${target}`, async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= target, 60_000);
    assert.deepEqual(await c.queryAt({ point: pointOf(early!) }, [3]), { failure: 0 });
    assert.deepEqual(await c.queryAt({ point: "origin" }, [3]), { failure: 0 });
    const [tipBefore] = await c.query([2]);
    const immutable = await utxo("immutable");
    const [tipAfter] = await c.query([2]);
    assert.ok(
      immutable.block >= blockNo(tipBefore!) - K && immutable.block <= blockNo(tipAfter!) - K,
      `immutable tip block ${immutable.block}, tip ${blockNo(tipBefore!)}..${blockNo(tipAfter!)}`,
    );
    assert.deepEqual(await c.queryAt({ point: { slot: pointOf(before!).slot, hash: new Uint8Array(32) } }, [3]), {
      failure: 1,
    });
    // Still forging, still answering at the tip.
    const later = blockNo(tipAfter!) + 1;
    await waitFor(`block ${later}`, async () => ((await node!.metric("poolfleet_tip_block")) ?? 0) >= later, 30_000);
    assert.ok((await utxo("tip")).block >= later);
  });

  it("re-derives a past state from a kept ledger snapshot, not only from genesis", async () => {
    const c = client!;
    // The node snapshots its ledger every 20 blocks (and 2 s): wait for one below the immutable tip.
    const snapshots = () =>
      readdirSync(join(dir, "db", "snapshots"))
        .map((f) => /^state-(\d{12})\.json$/.exec(f))
        .flatMap((m) => (m ? [Number(m[1])] : []));
    const immutableCount = async () => blockNo((await c.query([2]))[0]!) + 1 - K;
    await waitFor(
      "a snapshot at or below the immutable tip",
      async () => {
        const count = await immutableCount();
        return snapshots().some((n) => n > 0 && n <= count);
      },
      90_000,
    );
    const whole = async (target: Parameters<LocalNode["queryAt"]>[0]) => {
      const r = await c.queryAt(target, conwayQuery(7), [3], conwayQuery(13));
      assert.ok(!("failure" in r), `acquired ${JSON.stringify(r)}`);
      const [[utxoMap], point, [[, praos]]] = r as [[Map<CborValue[], unknown>], CborValue, [[number, CborValue[]]]];
      const ids = [...utxoMap.keys()].map((k) => `${bytesToHex(k[0] as Uint8Array)}#${k[1]}`).sort();
      return { ids, point: pointOf(point), lastSlot: Number((praos[0] as [number, number])[1]) };
    };
    const immutable = await whole("immutable");
    assert.equal(immutable.lastSlot, Number(immutable.point.slot), "Praos's state of that block");
    // No transaction since the first test: the UTxO k blocks back is the tip's, spent input and new output included.
    assert.deepEqual(immutable.ids, (await whole("tip")).ids);
    assert.ok(immutable.ids.length > 0);
  });
});
