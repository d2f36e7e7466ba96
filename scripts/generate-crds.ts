// npm run generate: writes crds/<plural>.poolfleet.io.yaml from the Zod schemas in src/api, and the same files into
// the Helm chart's charts/poolfleet/crds/ (Helm installs CRDs only from a chart's own crds/ directory, and a chart
// must not reach outside itself, so the chart holds a copy; src/api stays the one source of both).
// `--check` writes nothing and exits 1 when a file is missing or differs (test/api/crds.test.ts does the same).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crdName, renderCrdYaml } from "../src/api/crd.ts";
import { KINDS } from "../src/api/kinds.ts";

export const CRD_DIR = fileURLToPath(new URL("../crds/", import.meta.url));
export const CHART_CRD_DIR = fileURLToPath(new URL("../charts/poolfleet/crds/", import.meta.url));
/** Every directory that holds the generated CRDs, as the repository-relative name a message shows. */
export const CRD_DIRS: readonly { dir: string; shown: string }[] = [
  { dir: CRD_DIR, shown: "crds/" },
  { dir: CHART_CRD_DIR, shown: "charts/poolfleet/crds/" },
];

export function crdFiles(): Map<string, string> {
  return new Map(KINDS.map((k) => [`${crdName(k)}.yaml`, renderCrdYaml(k)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const { dir, shown } of CRD_DIRS) {
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of crdFiles()) {
      const path = dir + file;
      let current: string | undefined;
      try {
        current = readFileSync(path, "utf8");
      } catch {
        current = undefined;
      }
      if (current === text) continue;
      stale++;
      if (check) console.error(`stale: ${shown}${file}`);
      else {
        writeFileSync(path, text);
        console.log(`wrote ${shown}${file}`);
      }
    }
  }
  if (check && stale > 0) process.exit(1);
  if (!check && stale === 0) console.log("crds/ and charts/poolfleet/crds/ are up to date");
}
