// The Haskell ledger's own conformance vectors (cardano-ledger ImpSpec dumps, test/fixtures/ledger-conformance)
// replayed on poolfleet's ledger: every vector reads (initial UTxO, protocol parameters, events), every
// transaction decodes (is_valid false ones too), and every transaction poolfleet can judge from the vector's
// state is accepted or refused as the Haskell ledger did. How many it can judge is reported with why the rest
// are not (the first thing each unfinished vector needs), not expected: the share grows as the ledger does.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { decodeTx, type TxOutput } from "../../src/ledger/tx.ts";
import { inspect, isDeepStrictEqual } from "node:util";
import {
  conformanceFiles,
  finalGovOfState,
  readConformanceVector,
  replayConformanceVector,
} from "../helpers/ledger-conformance.ts";

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
    const govMismatches: string[] = [];
    const outside: string[] = [];
    let govCompared = 0;
    const notJudged = new Map<string, { vectors: number; transactions: number }>();
    for (const v of vectors) {
      transactions += v.events.filter((e) => e.kind === "tx").length;
      const replay = replayConformanceVector(v);
      if (replay.stoppedAt === null) {
        complete++;
        assert.deepEqual(utxoText(replay.utxo), utxoText(v.finalUtxo), `${v.title}: the UTxO after every event`);
        const dreps = new Map([...replay.dreps].map(([c, d]) => [c, d.deposit]));
        assert.deepEqual(dreps, v.finalDReps, `${v.title}: the DReps and their deposits after every event`);
        // The treasury, reward balances and governance state after ratification and enactment. A vector whose
        // test changed its state outside the events (Haskell's final state shows it) is listed when it differs.
        const gov = finalGovOfState(replay.state);
        const show = (x: unknown) => inspect(x, { breakLength: Infinity });
        const differ = (Object.keys(gov) as (keyof typeof gov)[])
          .filter((field) => !isDeepStrictEqual(gov[field], v.finalGov[field]))
          .map((field) => `${v.title}: ${field} ${show(gov[field])} ≠ Haskell's ${show(v.finalGov[field])}`);
        if (differ.length === 0) govCompared++;
        else if (v.changedOutsideEvents !== null)
          outside.push(
            `${v.title}: ${v.changedOutsideEvents} (${differ.map((d) => d.split(": ")[1]!.split(" ")[0]).join(", ")} differ)`,
          );
        else govMismatches.push(...differ);
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
    t.diagnostic(
      `${govCompared} vectors end with Haskell's treasury, reward balances, proposals, roots, committee and constitution`,
    );
    for (const o of outside) t.diagnostic(`not compared (the test changed its state outside the events): ${o}`);
    for (const m of govMismatches) t.diagnostic(m);
    assert.deepEqual(govMismatches, []);
    // Floors: what the ledger judges today; a regression fails here (raise them as the ledger grows).
    assert.ok(judged >= 1909, `${judged} transactions judged, at least 1909 expected`);
    assert.ok(complete >= 254, `${complete} vectors replayed to the end, at least 254 expected`);
    assert.ok(outside.length <= 3, `${outside.length} vectors changed outside their events differ, at most 3 expected`);
    assert.ok(govCompared >= 251, `${govCompared} vectors' governance state compared, at least 251 expected`);
  });
});
