// Where the entry scripts load the application from. The image ships the sources compiled to JavaScript in
// dist/ (node-image/build.sh): Node.js type stripping costs each process ~30 MB resident, which the operator's
// memory target cannot spare. A checkout has no dist/ (nothing there writes one) and runs the TypeScript sources.
import { existsSync } from "node:fs";
import { URL } from "node:url";

/** Imports `<module>` (e.g. "operator/main") from dist/ when it was built, else from src/. */
export function importApp(module) {
  const compiled = new URL(`../dist/${module}.js`, import.meta.url);
  return import(existsSync(compiled) ? compiled.href : new URL(`../src/${module}.ts`, import.meta.url).href);
}
