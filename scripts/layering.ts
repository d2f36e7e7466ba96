// The layering rule of src/, stated once, as data (README's architecture map shows renderRule()'s output, and
// test/unit/layering.test.ts checks both the tree and that README says the same), and the checker that holds
// src/ to it: every import (static `import ... from`, `export ... from`, `import type`, side-effect imports and
// `import()` with a literal) must go to the importer's own layer or one it may use, and no import circle may exist.
//
//   node scripts/layering.ts      prints every violation and circle; exits 1 if there is any
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import ts from "typescript";

/**
 * Each layer (a directory under src/) and the layers it stands on directly; it may use those and, transitively,
 * whatever they may use. From DESIGN.md: crypto, codec <- formats <- keys, chain <- consensus/ledger <-
 * storage/network <- node; kube (the API server's client and credentials) <- node and operator; api <- operator
 * (which may also use keys, formats, codec and crypto); cli may use api, kube, keys and anything below node.
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  crypto: [],
  codec: [],
  formats: ["crypto", "codec"],
  keys: ["formats"],
  chain: ["formats"],
  consensus: ["keys", "chain"],
  ledger: ["keys", "chain"],
  storage: ["consensus", "ledger"],
  network: ["consensus", "ledger"],
  kube: [],
  node: ["storage", "network", "kube"],
  api: [],
  operator: ["api", "keys", "kube"],
  cli: ["api", "keys", "kube", "storage", "network"],
};

export type Rule = Readonly<Record<string, readonly string[]>>;

/** Every layer `layer` may import from, itself included (the transitive closure of the rule). */
export function allowedLayers(rule: Rule, layer: string): Set<string> {
  const seen = new Set<string>([layer]);
  const todo = [...(rule[layer] ?? [])];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(rule[next] ?? []));
  }
  return seen;
}

/** The rule as README shows it: one line per layer, what it may import (directly and transitively). */
export function renderRule(rule: Rule = LAYERS): string {
  const width = Math.max(...Object.keys(rule).map((l) => l.length)) + 2;
  const header = `${"layer".padEnd(width)}may import (besides itself)`;
  const lines = Object.keys(rule).map((layer) => {
    const direct = rule[layer]!;
    const below = [...allowedLayers(rule, layer)].filter((l) => l !== layer && !direct.includes(l));
    const uses = direct.length === 0 ? "(nothing else in src/)" : direct.join(", ");
    return `${layer.padEnd(width)}${uses}${below.length ? ` (and so ${below.sort().join(", ")})` : ""}`;
  });
  return [header, ...lines].join("\n");
}

/** file -> the files it imports; paths relative to src/, with forward slashes (e.g. "node/node.ts"). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const toPosix = (p: string) => p.split(sep).join("/");

/** The relative imports of one module's text, as written (type-only and dynamic ones included). */
export function importsOf(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** Reads every .ts file under `srcDir` and the files each imports (resolved against the importer). */
export function readImportGraph(srcDir: string): ImportGraph {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        const file = toPosix(relative(srcDir, path));
        const targets = importsOf(readFileSync(path, "utf8")).map((s) => toPosix(normalize(join(dirname(file), s))));
        graph.set(file, [...new Set(targets)]);
      }
    }
  };
  walk(srcDir);
  return graph;
}

/** The layer of a file: its first directory under src/ (undefined for a file outside every directory). */
export function layerOf(file: string): string | undefined {
  const i = file.indexOf("/");
  return i > 0 && !file.startsWith("../") ? file.slice(0, i) : undefined;
}

export interface Violation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Every import against the rule, each naming the file, what it imports and why that is not allowed. */
export function layerViolations(graph: ImportGraph, rule: Rule = LAYERS): Violation[] {
  const out: Violation[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    if (layer === undefined || !(layer in rule)) {
      out.push({ from, to: "", why: `${from} is in no layer of the rule (scripts/layering.ts LAYERS)` });
      continue;
    }
    const allowed = allowedLayers(rule, layer);
    for (const to of targets) {
      const target = layerOf(to);
      if (target === undefined || !(target in rule))
        out.push({ from, to, why: `${to} is outside every layer of src/` });
      else if (!allowed.has(target))
        out.push({ from, to, why: `${layer} may not import ${target} (it may use ${[...allowed].sort().join(", ")})` });
    }
  }
  return out;
}

export interface Circle {
  /** Every file of the strongly connected component, sorted. */
  readonly files: readonly string[];
  /** One circle through it that returns to its first file, e.g. ["a.ts", "b.ts", "a.ts"]. */
  readonly cycle: readonly string[];
}

/**
 * The import circles: strongly connected components of the file graph with more than one file, or a file that
 * imports itself (Tarjan's algorithm, iterative so deep graphs cannot overflow the stack).
 */
export function importCircles(graph: ImportGraph): Circle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const edges = (v: string) => (graph.get(v) ?? []).filter((w) => graph.has(w));
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const frames: { v: string; next: number }[] = [{ v: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames.at(-1)!;
      const out = edges(frame.v);
      if (frame.next < out.length) {
        const w = out[frame.next++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          frames.push({ v: w, next: 0 });
        } else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        if (component.length > 1 || edges(frame.v).includes(frame.v)) components.push(component);
      }
    }
  }
  return components.map((c) => ({ files: [...c].sort(), cycle: cyclePath(graph, new Set(c)) }));
}

/** One circle through a component, found by breadth-first search from its first file (sorted) back to itself. */
function cyclePath(graph: ImportGraph, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i]!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = previous.get(at)) path.push(at);
        return [start, ...path.slice(1).reverse(), start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...members];
}

/** Every problem as one line each: "file -> import: why" and "import circle: a -> b -> a". */
export function layeringReport(graph: ImportGraph, rule: Rule = LAYERS): string[] {
  return [
    ...layerViolations(graph, rule).map((v) => (v.to ? `${v.from} -> ${v.to}: ${v.why}` : v.why)),
    ...importCircles(graph).map(
      (c) =>
        `import circle: ${c.cycle.join(" -> ")}` +
        (c.files.length > c.cycle.length - 1 ? ` (the circle's files: ${c.files.join(", ")})` : ""),
    ),
  ];
}

if (import.meta.main) {
  const problems = layeringReport(readImportGraph(new URL("../src/", import.meta.url).pathname));
  for (const p of problems) console.log(p);
  console.log(problems.length === 0 ? "src/ layering: clean" : `src/ layering: ${problems.length} problem(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
