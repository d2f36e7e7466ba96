// npm run generate: writes crds/<plural>.poolfleet.io.yaml from the Zod schemas in src/api.
// `--check` writes nothing and exits 1 when a file is missing or differs (test/api/crds-fresh.test.ts does the same).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crdName, renderCrdYaml } from "../src/api/crd.ts";
import { KINDS } from "../src/api/kinds.ts";

export const CRD_DIR = fileURLToPath(new URL("../crds/", import.meta.url));

export function crdFiles(): Map<string, string> {
  return new Map(KINDS.map((k) => [`${crdName(k)}.yaml`, renderCrdYaml(k)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  let stale = 0;
  mkdirSync(CRD_DIR, { recursive: true });
  for (const [file, text] of crdFiles()) {
    const path = CRD_DIR + file;
    let current: string | undefined;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale++;
    if (check) console.error(`stale: crds/${file}`);
    else {
      writeFileSync(path, text);
      console.log(`wrote crds/${file}`);
    }
  }
  if (check && stale > 0) process.exit(1);
  if (!check && stale === 0) console.log("crds/ is up to date");
}
