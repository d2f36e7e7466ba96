// The key-bundle reader (src/node/key-bundle.ts) on real directories: display names, a pool with a missing file
// refused alone, the 32-pool cap, and identities.json mistakes named with the file and the entry.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readKeyBundle } from "../../src/node/key-bundle.ts";

const root = mkdtempSync(join(tmpdir(), "pf-bundle-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function bundle(pools: string[], files = ["kes.skey", "vrf.skey", "node.cert"]): string {
  const dir = join(root, `b${++n}`);
  mkdirSync(dir);
  for (const p of pools) {
    mkdirSync(join(dir, p), { recursive: true });
    for (const f of files) writeFileSync(join(dir, p, f), "x");
  }
  return dir;
}

describe("key bundle", () => {
  it("names pools <node>-<index> in directory order, ignoring files and dot-directories", () => {
    const dir = bundle(["b", "a", ".hidden"]);
    writeFileSync(join(dir, "README"), "not a pool");
    assert.deepEqual(
      readKeyBundle(dir, "gw").map((p) => [p.dir, p.displayName, p.problem]),
      [
        ["a", "gw-0", undefined],
        ["b", "gw-1", undefined],
      ],
    );
  });

  it("a pool directory with a missing file is a refused pool with the reason, not a failed bundle", () => {
    const dir = bundle(["a"]);
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "b", "kes.skey"), "x");
    const pools = readKeyBundle(dir, "gw");
    assert.equal(pools[0]!.problem, undefined);
    assert.equal(pools[1]!.problem, `${join(dir, "b")}: missing vrf.skey, node.cert`);
  });

  it("refuses an empty, missing or over-full bundle, naming it", () => {
    assert.throws(() => readKeyBundle(bundle([]), "gw"), /holds no pool directories/);
    assert.throws(() => readKeyBundle(join(root, "nope"), "gw"), /key bundle directory not found/);
    const many = bundle(Array.from({ length: 33 }, (_, i) => `p${String(i).padStart(2, "0")}`));
    assert.throws(() => readKeyBundle(many, "gw"), /holds 33 pools; at most 32 per node/);
  });

  it("refuses identities.json mistakes with the file and the entry", () => {
    const cases: [unknown, RegExp][] = [
      [
        { identities: [{ identity: "x", nodeName: "bad name", pools: [] }] },
        /identities\[0\] needs "identity" and a "nodeName"/,
      ],
      [
        { identities: [{ identity: "x", nodeName: "n", pools: ["zzz"] }] },
        /names pool "zzz", which is not a directory/,
      ],
      [
        {
          identities: [
            { identity: "x", nodeName: "n", pools: ["a"] },
            { identity: "y", nodeName: "m", pools: ["a"] },
          ],
        },
        /pool "a" is in identities\[0\] and identities\[1\]/,
      ],
      [{ nope: 1 }, /needs \{ "identities"/],
    ];
    for (const [doc, message] of cases) {
      const dir = bundle(["a"]);
      writeFileSync(join(dir, "identities.json"), JSON.stringify(doc));
      assert.throws(
        () => readKeyBundle(dir, "gw"),
        (e: Error) => message.test(e.message) && e.message.includes("identities.json"),
      );
    }
    const dir = bundle(["a"]);
    writeFileSync(join(dir, "identities.json"), "{");
    assert.throws(() => readKeyBundle(dir, "gw"), /identities\.json.*not valid JSON/);
  });
});
