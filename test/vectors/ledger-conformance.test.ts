// The Haskell ledger's own conformance vectors (cardano-ledger ImpSpec dumps, test/fixtures/ledger-conformance)
// replayed on poolfleet's ledger: every vector reads (initial UTxO, protocol parameters, events), every
// transaction decodes (is_valid false ones too), and every transaction poolfleet can judge from the vector's
// state is accepted or refused as the Haskell ledger did. How many it can judge is reported with why the rest
// are not (the first thing each unfinished vector needs), not expected: the share grows as the ledger does.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { decodeTx, type TxOutput } from "../../src/ledger/tx.ts";
import { conformanceFiles, readConformanceVector, replayConformanceVector } from "../helpers/ledger-conformance.ts";

const files = conformanceFiles();
const utxoText = (utxo: ReadonlyMap<string, TxOutput>) =>
  [...utxo].map(([ref, o]) => `${ref} ${bytesToHex(o.address)} ${o.coin}`).sort();
const vectors = files.map(readConformanceVector);

describe("Haskell ledger conformance vectors", () => {
  it("every vector reads, with its UTxO and Conway protocol parameters", () => {
    assert.ok(vectors.length > 0, "vectors in test/fixtures/ledger-conformance/Conway");
    for (const v of vectors) {
      assert.ok(v.title.startsWith("Conway/Imp/"), `${v.file}: title ${v.title}`);
      assert.ok(v.utxo.size > 0, `${v.file}: initial UTxO`);
      assert.ok(v.params.coinsPerUTxOByte! > 0n && v.params.minFeeA > 0n, `${v.file}: protocol parameters`);
    }
  });

  it("every transaction decodes, including those marked invalid (is_valid false)", () => {
    let invalid = 0;
    for (const v of vectors) for (const e of v.events) if (e.kind === "tx" && !decodeTx(e.bytes).isValid) invalid++;
    assert.ok(invalid > 0, "some transactions are marked invalid");
  });

  it("every transaction poolfleet can judge is accepted or refused as the Haskell ledger did", (t) => {
    let judged = 0;
    let transactions = 0;
    let complete = 0;
    const disagreements: string[] = [];
    const notJudged = new Map<string, { vectors: number; transactions: number }>();
    for (const v of vectors) {
      transactions += v.events.filter((e) => e.kind === "tx").length;
      const replay = replayConformanceVector(v);
      if (replay.stoppedAt === null) {
        complete++;
        assert.deepEqual(utxoText(replay.utxo), utxoText(v.finalUtxo), `${v.title}: the UTxO after every event`);
        const dreps = new Map([...replay.dreps].map(([c, d]) => [c, d.deposit]));
        assert.deepEqual(dreps, v.finalDReps, `${v.title}: the DReps and their deposits after every event`);
      } else {
        const at = Number(/^event (\d+)/.exec(replay.stoppedAt)?.[1] ?? 0);
        const reason = replay.stoppedAt.replace(/^event \d+: /, "");
        const left = v.events.filter((e, i) => e.kind === "tx" && i >= at).length;
        const n = notJudged.get(reason) ?? { vectors: 0, transactions: 0 };
        notJudged.set(reason, { vectors: n.vectors + 1, transactions: n.transactions + left });
      }
      for (const j of replay.judged) {
        judged++;
        if (j.success !== (j.failures.length === 0))
          disagreements.push(
            `${v.title} event ${j.index}: Haskell ${j.success ? "accepted" : "refused"}, poolfleet ${
              j.failures.length === 0 ? "accepted" : `refused (${j.failures.join(", ")})`
            }`,
          );
      }
    }
    t.diagnostic(
      `${judged} of ${transactions} transactions judged; ${complete} of ${vectors.length} vectors replayed to the end`,
    );
    for (const [reason, n] of [...notJudged].sort(([, a], [, b]) => b.transactions - a.transactions))
      t.diagnostic(`not judged: ${n.transactions} transactions in ${n.vectors} vectors stop at: ${reason}`);
    assert.ok(judged > 0, "some transactions use only what poolfleet's ledger implements");
    assert.deepEqual(disagreements, []);
  });
});
