// The atomic hot-key swap of a devnet pool: adopting plain files, swapping revisions in one rename, keeping
// exactly one previous set, rolling back, and a half-written revision never becoming current.
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { HOT_FILES, KeySetDir } from "../../src/cli/devnet/keyset-swap.ts";

const root = mkdtempSync(join(tmpdir(), "pf-keyset-"));
after(() => rmSync(root, { recursive: true, force: true }));

const fill = (tag: string) => (dir: string) => {
  for (const f of HOT_FILES) writeFileSync(join(dir, f), `${tag}:${f}\n`, { mode: f === "kes.skey" ? 0o600 : 0o644 });
};
const read = (pool: string) => HOT_FILES.map((f) => readFileSync(join(pool, f), "utf8"));

describe("KeySetDir", () => {
  it("refuses a pool directory without hot files, changing nothing", () => {
    const pool = mkdtempSync(join(root, "empty-"));
    writeFileSync(join(pool, "kes.skey"), "only this\n");
    assert.throws(() => new KeySetDir(pool).adopt(), /has no kes\.vkey, node\.cert: not a producer's key directory/);
    assert.deepEqual(readdirSync(pool), ["kes.skey"]);
  });

  it("walks a pool through three rotations", () => {
    const pool = mkdtempSync(join(root, "pool-"));
    fill("v0")(pool);
    const keys = new KeySetDir(pool);
    keys.adopt();
    assert.deepEqual(read(pool), ["v0:kes.skey\n", "v0:kes.vkey\n", "v0:node.cert\n"], "same bytes after adopting");
    for (const f of HOT_FILES) {
      assert.ok(lstatSync(join(pool, f)).isSymbolicLink());
      assert.equal(readlinkSync(join(pool, f)), join("keys", "current", f));
    }
    assert.equal(keys.revision("current"), "rev-0");
    assert.equal(lstatSync(join(pool, "keys", "rev-0", "kes.skey")).mode & 0o777, 0o600, "secret stays 0600");
    keys.adopt(); // idempotent
    assert.equal(keys.revision("current"), "rev-0");

    assert.deepEqual(keys.swap(fill("v1")), { current: "rev-1", previous: "rev-0" });
    assert.deepEqual(read(pool), ["v1:kes.skey\n", "v1:kes.vkey\n", "v1:node.cert\n"]);
    assert.deepEqual(keys.swap(fill("v2")), { current: "rev-2", previous: "rev-1" });
    assert.deepEqual(
      readdirSync(join(pool, "keys")).sort(),
      ["current", "previous", "rev-1", "rev-2"],
      "rev-0 deleted: an old KES key left on disk undoes forward security",
    );

    assert.deepEqual(keys.rollback(), { current: "rev-1", refused: "rev-2" });
    assert.deepEqual(read(pool), ["v1:kes.skey\n", "v1:kes.vkey\n", "v1:node.cert\n"]);
    assert.throws(() => keys.rollback(), /no previous key set/, "previous == current now");
  });

  it("a revision that fails half-written never becomes current, and leaves no debris after the next swap", () => {
    const pool = mkdtempSync(join(root, "pool-"));
    fill("v0")(pool);
    const keys = new KeySetDir(pool);
    assert.throws(() => keys.swap((dir) => writeFileSync(join(dir, "kes.skey"), "half\n")), /ENOENT/);
    assert.deepEqual(read(pool), ["v0:kes.skey\n", "v0:kes.vkey\n", "v0:node.cert\n"]);
    assert.equal(keys.revision("current"), "rev-0");
    keys.swap(fill("v1"));
    assert.deepEqual(readdirSync(join(pool, "keys")).sort(), ["current", "previous", "rev-0", "rev-1"]);
  });
});
