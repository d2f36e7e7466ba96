// The generated CRDs: fresh (crds/ matches the Zod schemas), structural, documented, and in step with Zod's
// defaults. The API server's own verdict is in test/operator/crds.test.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { z } from "zod";
import { buildCrd, type JsonSchema, toStructuralSchema } from "../../src/api/crd.ts";
import { KINDS } from "../../src/api/kinds.ts";
import { CRD_DIRS, crdFiles } from "../../scripts/generate-crds.ts";
import { kesRotationSpec } from "../../src/api/kesrotation.ts";
import { stakePoolSpec } from "../../src/api/stakepool.ts";

test("crds/ and the chart's crds/ are what `npm run generate` writes from src/api (run it after changing a schema)", () => {
  const files = crdFiles();
  assert.equal(files.size, 4);
  for (const { dir, shown } of CRD_DIRS) {
    assert.deepEqual(readdirSync(dir).sort(), [...files.keys()].sort(), `${shown} holds exactly the generated CRDs`);
    for (const [file, text] of files) {
      let onDisk = "";
      try {
        onDisk = readFileSync(dir + file, "utf8");
      } catch {
        assert.fail(`${shown}${file} is missing: run npm run generate`);
      }
      assert.ok(onDisk === text, `${shown}${file} is stale: run npm run generate`);
    }
  }
});

/** Walks a schema and reports every node that breaks a structural-schema rule the API server enforces. */
function lint(node: JsonSchema, path: string, problems: string[]): void {
  const intOrString = node["x-kubernetes-int-or-string"] === true;
  if (!intOrString && typeof node.type !== "string") problems.push(`${path}: no type`);
  for (const banned of [
    "$ref",
    "$schema",
    "definitions",
    "const",
    "nullable",
    "oneOf",
    "allOf",
    "not",
    "propertyNames",
  ]) {
    if (banned in node) problems.push(`${path}: ${banned}`);
  }
  if ("anyOf" in node && !intOrString) problems.push(`${path}: anyOf`);
  if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false`);
  if (node.properties && node.additionalProperties) problems.push(`${path}: properties with additionalProperties`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) {
    if (path.split(".").length > 1 && typeof v.description !== "string") problems.push(`${path}.${k}: no description`);
    lint(v, `${path}.${k}`, problems);
  }
  if (node.items) lint(node.items as JsonSchema, `${path}[]`, problems);
  if (typeof node.additionalProperties === "object")
    lint(node.additionalProperties as JsonSchema, `${path}{}`, problems);
}

test("every generated schema is structural and every field is described", () => {
  for (const kind of KINDS) {
    const crd = buildCrd(kind) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] } };
    const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
    const problems: string[] = [];
    lint(root, kind.kind, problems);
    assert.deepEqual(problems, [], `${kind.kind}: ${problems.join("; ")}`);
  }
});

test("names, short names, categories, subresources and printer columns", () => {
  const byKind = new Map(KINDS.map((k) => [k.kind, parse(crdFiles().get(`${k.plural}.poolfleet.io.yaml`)!)]));
  assert.deepEqual(
    [...byKind.values()].map((c) => c.spec.names.shortNames[0]),
    ["sp", "rly", "kesr", "mkg"],
  );
  for (const crd of byKind.values()) {
    assert.deepEqual(crd.spec.names.categories, ["poolfleet"]);
    assert.equal(crd.spec.scope, "Namespaced");
    assert.deepEqual(crd.spec.versions[0].subresources.status, {});
    const cols = crd.spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name);
    assert.ok(cols.includes("Phase") && cols.includes("Age"), `${crd.metadata.name}: ${cols}`);
  }
  const sp = byKind.get("StakePool").spec.versions[0].additionalPrinterColumns.map((c: { name: string }) => c.name);
  assert.deepEqual(sp, ["Network", "Phase", "Tip", "KES Left", "Blocks", "Pool", "Age"]);
  assert.equal(byKind.get("Relay").spec.versions[0].subresources.scale.specReplicasPath, ".spec.replicas");
});

test("the converter refuses what a CRD cannot express", () => {
  const d = (s: z.ZodType) => s.describe("x");
  assert.throws(
    () => toStructuralSchema(z.object({ a: d(z.union([z.string(), z.boolean()])) })),
    /\.a: unions other than int-or-string/,
  );
  assert.throws(() => toStructuralSchema(z.object({ a: z.string() })), /\.a: every field needs \.describe\(\)/);
  assert.throws(() => toStructuralSchema(z.object({ a: d(z.string().nullable()) })), /nullable/);
  assert.throws(() => toStructuralSchema(z.object({ a: d(z.any()) })), /needs a type/);
});

test("int-or-string keeps the integer bounds as CEL and the string pattern as is", () => {
  const s = toStructuralSchema(
    z.object({
      q: z
        .union([z.int().min(0).max(9), z.string().regex(/^[0-9]+Gi$/)])
        .meta({ "x-kubernetes-int-or-string": true })
        .describe("q"),
    }),
  ) as { properties: { q: JsonSchema } };
  assert.deepEqual(s.properties.q, {
    "x-kubernetes-int-or-string": true,
    anyOf: [{ type: "integer" }, { type: "string" }],
    description: "q",
    pattern: "^[0-9]+Gi$",
    "x-kubernetes-validations": [
      { rule: "type(self) != int || self >= 0", message: "must be at least 0" },
      { rule: "type(self) != int || self <= 9", message: "must be at most 9" },
    ],
  });
});

test("Zod applies the same defaults the CRD declares (a minimal StakePool and KesRotation)", () => {
  const pool = stakePoolSpec.parse({ network: { name: "preprod" }, keys: { secretRef: { name: "pool-keys" } } });
  assert.deepEqual(pool.relays, { replicas: 2 });
  assert.deepEqual(pool.image, { repository: "poolfleet/poolfleet-node", tag: "0.1.0", pullPolicy: "IfNotPresent" });
  assert.equal(pool.port, 3001);
  assert.equal(pool.metrics.port, 12798);
  const kes = kesRotationSpec.parse({ poolRef: { name: "p" } });
  assert.equal(kes.mode, "Assisted");
  assert.equal(kes.renewBefore, "14d");
  assert.deepEqual(kes.reminderDays, [14, 7, 3, 1]);
});
