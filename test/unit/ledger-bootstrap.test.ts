// Bootstrap (Byron) witnesses (cardano-ledger Keys/Bootstrap.hs): the key hash a witness stands for is the root of
// the Byron address it unlocks (`bootstrapWitKeyHash`), and its signature is over the transaction id. Checked on
// the Haskell conformance vectors' transactions that spend Byron outputs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { byronAddress } from "../../src/ledger/rules/byron-address.ts";
import { bootstrapKeyHash, decodeTx, invalidWitnesses } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { conformanceFiles, readConformanceVector } from "../helpers/ledger-conformance.ts";

describe("bootstrap witnesses", () => {
  it("a witness's key hash is the root of the Byron address it spends, and it signs the transaction id", () => {
    let checked = 0;
    for (const v of conformanceFiles().map(readConformanceVector)) {
      const outputs = new Map(v.utxo); // and every output the vector's transactions create
      for (const e of v.events) {
        if (e.kind !== "tx") continue;
        const tx = decodeTx(e.bytes);
        tx.body.outputs.forEach((o, i) => outputs.set(outRef(tx.body.id, i), o));
        if (!e.success) continue;
        if (!tx.witnesses.bootstraps) continue;
        const roots = tx.body.inputs
          .map((i) => outputs.get(outRef(i.txId, i.index)))
          .flatMap((o) => (o ? [byronAddress(o.address)?.root] : []))
          .filter((r) => r !== undefined);
        if (roots.length === 0) continue;
        const hashes = tx.witnesses.bootstraps.map(bootstrapKeyHash);
        for (const root of roots) assert.ok(hashes.includes(root), `${v.title}: a witness for root ${root}`);
        assert.deepEqual(invalidWitnesses(tx.body, tx.witnesses), [], `${v.title}: the witnesses sign`);
        const w = tx.witnesses.bootstraps[0]!;
        const otherChainCode = { ...w, chainCode: Uint8Array.from(w.chainCode, (b) => b ^ 1) };
        assert.notEqual(bootstrapKeyHash(otherChainCode), bootstrapKeyHash(w), "the chain code is part of the root");
        const forged = { ...tx.body, id: Uint8Array.from(tx.body.id, (b) => b ^ 1) };
        assert.equal(
          invalidWitnesses(forged, tx.witnesses).length,
          tx.witnesses.bootstraps.length + tx.witnesses.vkeys.length,
        );
        checked++;
      }
    }
    assert.ok(checked > 0, "some accepted transactions spend Byron outputs with bootstrap witnesses");
  });
});
