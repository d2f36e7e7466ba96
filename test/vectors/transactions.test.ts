// Transactions in the real mainnet and testnet blocks: every body and witness set decodes, every vkey witness
// is a valid signature of its transaction's id (Blake2b-256 of the body bytes as received), every auxiliary data
// hash matches the auxiliary data's bytes, every address names the block's network, every output value is within
// maxValueSize, every minting policy given as a native script holds, and the share of transactions using only
// what poolfleet's ledger implements is reported.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b224 } from "../../src/crypto/hash.ts";
import { decodeCertificate } from "../../src/ledger/certs.ts";
import { evalTimelock } from "../../src/ledger/native-script.ts";
import { auxDataFailures } from "../../src/ledger/rules/aux-data.ts";
import { outputTooBigFailures } from "../../src/ledger/rules/output-too-big.ts";
import type { DataConstr, DataI } from "@harmoniclabs/plutus-data";
import { readShelleyGenesis } from "../../src/formats/genesis.ts";
import { contextGaps } from "../../src/ledger/plutus/data.ts";
import { slotTimeOf, validRange } from "../../src/ledger/plutus/time.ts";
import { unsupportedFeatures } from "../../src/ledger/rules/unsupported.ts";
import { byronAddress } from "../../src/ledger/rules/byron-address.ts";
import { addressNetwork, networkFailures } from "../../src/ledger/rules/network-id.ts";
import { blockTransactions, decodeTxBody, invalidWitnesses, TxDecodeError } from "../../src/ledger/tx.ts";
import { fixturePath } from "../helpers/fixtures.ts";
import { loadRealHeaders } from "../helpers/real-headers.ts";

const blocks = loadRealHeaders()
  .flatMap((f) => f.headers)
  .filter((h) => h.block);

describe("transactions in real blocks", () => {
  it("has blocks with transactions", () => {
    const count = blocks.reduce((n, b) => n + blockTransactions(b.block!).length, 0);
    assert.ok(count >= 20, `${count} transactions`);
  });
  for (const { entry, block } of blocks) {
    it(`${entry.id}: every transaction decodes and every vkey witness signs its id`, () => {
      for (const [i, { body, witnesses }] of blockTransactions(block!).entries()) {
        assert.ok(body.inputs.length > 0, `tx ${i} spends something`);
        assert.ok(body.fee > 0n, `tx ${i} pays a fee`);
        assert.deepEqual(invalidWitnesses(body, witnesses), [], `tx ${i}`);
        if (witnesses.vkeys.length > 0) {
          const forged = { ...body, id: Uint8Array.from(body.id).fill(0, 0, 1) };
          assert.ok(invalidWitnesses(forged, witnesses).length > 0, "a witness of another id fails");
        }
      }
    });
  }
  it("every auxiliary data hash is Blake2b-256 of the auxiliary data's bytes as they appear", () => {
    const txs = blocks.flatMap((b) => blockTransactions(b.block!));
    const withAux = txs.filter((t) => t.auxBytes !== null);
    assert.ok(withAux.length >= 10, `${withAux.length} transactions carry auxiliary data`);
    for (const t of txs)
      assert.deepEqual(auxDataFailures(t.body, t.auxBytes), [], Buffer.from(t.body.id).toString("hex"));
  });
  it("every output address, withdrawal and body network id of a block names one network (mainnet's is 1)", () => {
    let byron = 0;
    for (const { entry, block } of blocks) {
      const txs = blockTransactions(block!);
      const networks = new Set(
        txs.flatMap((t) => [
          ...t.body.outputs.map((o) => addressNetwork(o.address)),
          ...[...t.body.withdrawals.keys()].map((a) => addressNetwork(Buffer.from(a, "hex"))),
        ]),
      );
      const byronOutputs = txs.flatMap((t) => t.body.outputs).filter((o) => o.address[0]! >> 4 === 8);
      for (const o of byronOutputs) assert.match(byronAddress(o.address)?.root ?? "", /^[0-9a-f]{56}$/, entry.id);
      byron += byronOutputs.length;
      if (txs.length === 0) continue;
      assert.equal(networks.size, 1, `${entry.id}: networks ${[...networks].join(", ")}`);
      const [network] = networks;
      assert.ok(network === 0 || network === 1);
      if (entry.network === "mainnet") assert.equal(network, 1, entry.id);
      for (const t of txs) assert.deepEqual(networkFailures(t.body, network === 1), [], entry.id);
      for (const t of txs) assert.notDeepEqual(networkFailures(t.body, network !== 1), [], "the other network refuses");
    }
    assert.ok(byron > 0, "Byron addresses are among the outputs");
  });
  it("malformed bodies are refused with TxDecodeError", () => {
    for (const bad of [Uint8Array.of(), Uint8Array.of(0xa0), Uint8Array.of(0x80), Uint8Array.of(0xa1, 0x00, 0x01)]) {
      assert.throws(() => decodeTxBody(bad), TxDecodeError);
    }
  });
  it("token outputs and mints: values within mainnet's maxValueSize, native minting policies hold", () => {
    const txs = blocks.flatMap((b) => blockTransactions(b.block!));
    const withTokens = txs.filter((t) => t.body.outputs.some((o) => o.assets.size > 0));
    assert.ok(withTokens.length >= 50, `${withTokens.length} transactions carry tokens`);
    for (const t of txs) assert.deepEqual(outputTooBigFailures(t.body.outputs, 5000), [], bytesToHex(t.body.id));
    let native = 0;
    for (const t of txs) {
      const signers = new Set(t.witnesses.vkeys.map((w) => bytesToHex(blake2b224(w.vkey))));
      for (const policy of t.body.mint.keys()) {
        const script = t.witnesses.nativeScripts.find((w) => w.hash === policy);
        if (!script) continue; // a Plutus policy
        native++;
        const ctx = {
          signers,
          ...(t.body.ttl !== undefined && { ttl: t.body.ttl }),
          ...(t.body.validityStart !== undefined && { validityStart: t.body.validityStart }),
        };
        assert.ok(evalTimelock(script.script, ctx), `${bytesToHex(t.body.id)}: policy ${policy}`);
        assert.equal(evalTimelock(script.script, { signers: new Set() }), false, "holds only with its signers");
      }
    }
    assert.ok(native >= 3, `${native} mints under native-script policies`);
  });
  it("multi-assets, mints and native scripts no longer make a transaction unsupported", (t) => {
    const txs = blocks.flatMap((b) => blockTransactions(b.block!));
    const features = txs.map((tx) =>
      unsupportedFeatures(
        tx.body,
        tx.witnesses,
        tx.body.certificates.flatMap((c, i) => {
          try {
            return [decodeCertificate(c, i)];
          } catch {
            return [{ kind: "Unsupported" as const, name: "a certificate poolfleet cannot decode" }];
          }
        }),
      ),
    );
    for (const f of features) assert.ok(!f.some((x) => /multi-asset|mint|native/.test(x)), f.join(", "));
    const gaps = txs.map((tx) => contextGaps(tx.body, tx.witnesses.plutus.redeemers, true));
    const plutus = txs.filter((tx) => tx.witnesses.plutus.redeemers.length > 0);
    const judged = features.filter((f, i) => f.length === 0 && gaps[i]!.length === 0).length;
    t.diagnostic(
      `${judged} of ${txs.length} transactions use only what poolfleet's ledger implements; ${plutus.length} run Plutus scripts, ${gaps.filter((g) => g.length > 0).length} of them with what scripts are not shown yet (${[...new Set(gaps.flat())].join("; ")})`,
    );
    // 26 of 93 before multi-assets (53 carry tokens), 39 before datums, reference inputs, collateral and Plutus,
    // 66 before validity intervals were shown to scripts, 86 before proposals (a hard fork, two parameter
    // changes), 89 before bootstrap witnesses; those left out carry Shelley protocol parameter updates or a
    // malformed pool id.
    assert.ok(judged >= 90, `${judged} judged`);
    // Most Plutus transactions are bounded in time: their scripts see the bounds as mainnet's POSIX time (slot s
    // is second 1591566291 + s), and without the network's slot-to-time conversion they would not be judged.
    const bounded = plutus.filter((tx) => tx.body.ttl !== undefined || tx.body.validityStart !== undefined);
    assert.ok(bounded.length >= 20, `${bounded.length} Plutus transactions with a validity interval`);
    const mainnet = slotTimeOf(readShelleyGenesis(fixturePath("genesis", "mainnet-shelley-genesis.json")));
    for (const tx of bounded) {
      assert.notDeepEqual(contextGaps(tx.body, tx.witnesses.plutus.redeemers, false), []);
      const [lower, upper] = (validRange(tx.body, mainnet, 10) as DataConstr).fields as DataConstr[];
      for (const [bound, slot] of [
        [lower!, tx.body.validityStart],
        [upper!, tx.body.ttl],
      ] as const) {
        if (slot === undefined) continue;
        const finite = bound.fields[0] as DataConstr;
        assert.equal((finite.fields[0] as DataI).int, (1_591_566_291n + slot) * 1000n, bytesToHex(tx.body.id));
      }
    }
  });
});
