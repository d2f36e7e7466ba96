// writeFilesAtomic (src/formats/files.ts): all outputs or none, on real files, including a failure while the
// files are being moved into place. And the duplicate-key scan text envelopes go through.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { InputError } from "../../src/formats/errors.ts";
import { writeFilesAtomic } from "../../src/formats/files.ts";
import { findDuplicateKey } from "../../src/formats/json-duplicates.ts";

const root = mkdtempSync(join(tmpdir(), "pf-files-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** Names for one test's files (all in `root`, so a leftover temporary of any test shows in one listing). */
const fileNames = () => {
  const prefix = `t${n++}`;
  return (name: string) => join(root, `${prefix}-${name}`);
};

describe("writeFilesAtomic", () => {
  it("writes every file with its mode", () => {
    const f = fileNames();
    writeFilesAtomic([
      { path: f("a"), contents: "A", mode: 0o600 },
      { path: f("b"), contents: new Uint8Array([1, 2]), mode: 0o644 },
    ]);
    assert.equal(readFileSync(f("a"), "utf8"), "A");
    assert.deepEqual([...readFileSync(f("b"))], [1, 2]);
    assert.equal(statSync(f("a")).mode & 0o777, 0o600);
    assert.equal(statSync(f("b")).mode & 0o777, 0o644);
  });

  it("refuses an existing file without mayReplace, before writing anything", () => {
    const f = fileNames();
    writeFileSync(f("b"), "old");
    assert.throws(
      () =>
        writeFilesAtomic([
          { path: f("a"), contents: "A", mode: 0o644 },
          { path: f("b"), contents: "B", mode: 0o644 },
        ]),
      (e: unknown) => e instanceof InputError && /already exists; refusing to overwrite/.test(e.message),
    );
    assert.throws(() => readFileSync(f("a")));
    assert.equal(readFileSync(f("b"), "utf8"), "old");
  });

  it("a failure while moving files into place puts back what was there and removes what it placed", () => {
    const f = fileNames();
    writeFileSync(f("replaced"), "old");
    writeFileSync(f("third"), "third-old");
    // Fault injection (a fake: a race the real filesystem will not produce on cue): another process creates
    // "new" after it was checked absent, so its link() fails with EEXIST after "replaced" was already renamed.
    assert.throws(
      () =>
        writeFilesAtomic([
          { path: f("replaced"), contents: "replaced-new", mode: 0o644, mayReplace: () => {} },
          { path: f("new"), contents: "new-ours", mode: 0o644 },
          { path: f("third"), contents: "third-new", mode: 0o644, mayReplace: () => writeFileSync(f("new"), "racer") },
        ]),
      /new: already exists; refusing to overwrite/,
    );
    assert.equal(readFileSync(f("replaced"), "utf8"), "old");
    assert.equal(readFileSync(f("new"), "utf8"), "racer");
    assert.equal(readFileSync(f("third"), "utf8"), "third-old");
    assert.deepEqual(
      readdirSync(root).filter((name) => name.endsWith(".tmp") || name.endsWith(".old")),
      [],
      "temporaries or backups left behind",
    );
  });
});

describe("findDuplicateKey", () => {
  it("finds a key given twice in one object, at any depth, decoded", () => {
    assert.equal(findDuplicateKey('{"a": 1, "b": 2}'), undefined);
    assert.equal(findDuplicateKey('{"a": 1, "a": 2}'), "a");
    assert.equal(findDuplicateKey('{"a": {"x": 1}, "b": [{"x": 1}, {"x": 2, "x": 3}]}'), "x");
    assert.equal(findDuplicateKey('{"t": 1, "\\u0074": 2}'), "t");
    assert.equal(findDuplicateKey('{"a": "{\\"a\\": 1}", "b": ["a", "a"]}'), undefined);
    assert.equal(findDuplicateKey('[{"a": 1}, {"a": 2}]'), undefined);
  });
});
