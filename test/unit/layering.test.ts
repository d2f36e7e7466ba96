// The layering of src/ (the rule is data in scripts/layering.ts; README's architecture map shows it): every import
// in src/ goes down the rule, and no import circle exists. The checker itself is shown failing on deliberately bad
// imports, both as a synthetic graph and as real files on disk, so a clean result means something.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import {
  allowedLayers,
  type ImportGraph,
  importCircles,
  importsOf,
  LAYERS,
  layeringReport,
  layerViolations,
  readImportGraph,
  renderRule,
} from "../../scripts/layering.ts";

const root = new URL("../../", import.meta.url).pathname;
const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe("src/ layering", () => {
  test("every import in src/ follows the rule and none closes a circle", () => {
    const graph = readImportGraph(join(root, "src"));
    assert.ok(graph.size > 100, `read ${graph.size} files from src/`);
    assert.ok(
      [...graph.values()].some((targets) => targets.length > 0),
      "the imports were read",
    );
    const problems = layeringReport(graph);
    assert.deepEqual(problems, [], `layering problems in src/:\n${problems.join("\n")}`);
  });

  test("every directory of src/ is a layer of the rule, and the rule stands on nothing outside it", () => {
    const layers = new Set([...readImportGraph(join(root, "src")).keys()].map((f) => f.split("/")[0]));
    assert.deepEqual([...layers].sort(), Object.keys(LAYERS).sort());
    for (const [layer, uses] of Object.entries(LAYERS))
      for (const u of uses) assert.ok(u in LAYERS, `${layer} uses ${u}, which is no layer`);
  });

  test("README's architecture map states the rule as scripts/layering.ts has it", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    assert.ok(readme.includes(renderRule()), `README.md should contain, verbatim:\n${renderRule()}`);
  });

  test("the rule is DESIGN's: cli may use api and keys, the operator keys and kube but not chain, network not storage", () => {
    assert.ok(allowedLayers(LAYERS, "cli").has("api"));
    assert.ok(allowedLayers(LAYERS, "cli").has("keys"));
    assert.ok(!allowedLayers(LAYERS, "cli").has("operator"));
    assert.ok(!allowedLayers(LAYERS, "cli").has("node"));
    assert.deepEqual([...allowedLayers(LAYERS, "operator")].sort(), [
      "api",
      "codec",
      "crypto",
      "formats",
      "keys",
      "kube",
      "operator",
    ]);
    // The API client is shared by the node (pool leases) and the operator, and stands on nothing of theirs.
    assert.ok(allowedLayers(LAYERS, "node").has("kube"));
    assert.deepEqual([...allowedLayers(LAYERS, "kube")], ["kube"]);
    assert.ok(!allowedLayers(LAYERS, "network").has("storage"));
    assert.ok(!allowedLayers(LAYERS, "storage").has("network"));
    assert.deepEqual([...allowedLayers(LAYERS, "codec")], ["codec"]);
    // The rule's own layers form no circle (else "one way" would mean nothing).
    const layerGraph = graphOf(Object.fromEntries(Object.entries(LAYERS).map(([l, u]) => [l, [...u]])));
    assert.deepEqual(importCircles(layerGraph), []);
  });
});

describe("the layering checker", () => {
  test("reads static, type-only, re-export, side-effect and literal dynamic imports, not comments or strings", () => {
    const text = [
      `// import { a } from "./commented.ts";`,
      `/* export { b } from "./block-comment.ts"; */`,
      `import type { C } from "../storage/chain-db.ts";`,
      `import {`,
      `  d,`,
      `  e,`,
      `} from "./multi-line.ts";`,
      `export { f } from "../codec/cbor.ts";`,
      `export * from "./star.ts";`,
      `import "./side-effect.ts";`,
      `import { z } from "zod";`,
      `const s = "import x from './in-a-string.ts'";`,
      `const m = await import("../operator/names.ts");`,
      `const n = await import(someVariable);`,
    ].join("\n");
    assert.deepEqual(importsOf(text), [
      "../storage/chain-db.ts",
      "./multi-line.ts",
      "../codec/cbor.ts",
      "./star.ts",
      "./side-effect.ts",
      "../operator/names.ts",
    ]);
  });

  test("fails a deliberately bad synthetic graph, naming each bad import and each circle", () => {
    const bad = graphOf({
      "network/chain-db-source.ts": ["storage/chain-db.ts", "network/points.ts"],
      "network/points.ts": [],
      "storage/chain-db.ts": ["chain/block.ts"],
      "chain/block.ts": ["codec/cbor.ts"],
      "codec/cbor.ts": [],
      "cli/commands/kes.ts": ["operator/builders/kes-rotation.ts", "api/owner.ts", "keys/consistency.ts"],
      "operator/builders/kes-rotation.ts": ["api/owner.ts"],
      "api/owner.ts": [],
      "keys/consistency.ts": ["formats/opcert.ts"],
      "formats/opcert.ts": ["keys/consistency.ts"],
      "cli/main.ts": ["cli/commands/demo.ts"],
      "cli/commands/demo.ts": ["cli/main.ts"],
      "node/self.ts": ["node/self.ts"],
      "loose.ts": [],
    });
    const violations = layerViolations(bad).map((v) => `${v.from} -> ${v.to}`);
    assert.deepEqual(violations, [
      "network/chain-db-source.ts -> storage/chain-db.ts",
      "cli/commands/kes.ts -> operator/builders/kes-rotation.ts",
      "formats/opcert.ts -> keys/consistency.ts",
      "loose.ts -> ",
    ]);
    assert.match(layerViolations(bad)[0]!.why, /^network may not import storage/);
    const circles = importCircles(bad).map((c) => c.cycle.join(" -> "));
    assert.deepEqual(circles.sort(), [
      "cli/commands/demo.ts -> cli/main.ts -> cli/commands/demo.ts",
      "formats/opcert.ts -> keys/consistency.ts -> formats/opcert.ts",
      "node/self.ts -> node/self.ts",
    ]);
    const report = layeringReport(bad);
    assert.equal(report.length, 7);
    assert.ok(report.includes("import circle: cli/commands/demo.ts -> cli/main.ts -> cli/commands/demo.ts"));
  });

  test("finds every file of a larger circle and one path through it", () => {
    const graph = graphOf({
      "operator/a.ts": ["operator/b.ts"],
      "operator/b.ts": ["operator/c.ts", "operator/d.ts"],
      "operator/c.ts": ["operator/a.ts"],
      "operator/d.ts": ["operator/b.ts"],
      "operator/e.ts": ["operator/a.ts"],
    });
    const [circle, ...rest] = importCircles(graph);
    assert.deepEqual(rest, []);
    assert.deepEqual(circle!.files, ["operator/a.ts", "operator/b.ts", "operator/c.ts", "operator/d.ts"]);
    assert.deepEqual(circle!.cycle, ["operator/a.ts", "operator/b.ts", "operator/c.ts", "operator/a.ts"]);
    assert.match(layeringReport(graph)[0]!, /the circle's files: operator\/a.ts, operator\/b.ts/);
  });

  describe("on a source tree on disk with one deliberately bad import", () => {
    const dir = mkdtempSync(join(tmpdir(), "poolfleet-layering-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    write("storage/chain-db.ts", `export class ChainDb {}\n`);
    write("network/points.ts", `export const ORIGIN = "origin";\n`);
    write("network/chain-db-source.ts", `import { ORIGIN } from "./points.ts";\nexport const x = ORIGIN;\n`);

    test("the tree passes while every import follows the rule", () => {
      assert.deepEqual(layeringReport(readImportGraph(dir)), []);
    });

    test("and fails, naming file and import, once network imports storage (even as a type)", () => {
      write(
        "network/chain-db-source.ts",
        `import type { ChainDb } from "../storage/chain-db.ts";\nimport { ORIGIN } from "./points.ts";\n` +
          `export const x = (db: ChainDb) => [db, ORIGIN];\n`,
      );
      const report = layeringReport(readImportGraph(dir));
      assert.equal(report.length, 1);
      assert.match(report[0]!, /^network\/chain-db-source.ts -> storage\/chain-db.ts: network may not import storage/);
    });
  });
});
