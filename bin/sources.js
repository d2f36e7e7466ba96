// What every entry script does first: refuse a Node.js older than 24 with a message that says how to run the
// pinned one, then load the application. The image ships the sources compiled to JavaScript in dist/
// (node-image/build.sh): Node.js type stripping costs each process ~30 MB resident, which the operator's memory
// target cannot spare. A checkout has no dist/ (nothing there writes one) and runs the TypeScript sources.
import { existsSync } from "node:fs";
import { URL } from "node:url";

/** Imports `<module>` (e.g. "operator/main") for `program`, from dist/ when it was built, else from src/. */
export function importApp(program, module) {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24) {
    process.stderr.write(
      `${program} needs Node.js 24, this is ${process.version}. The project pins it: run \`npm ci\`, then ` +
        `\`npx ${program} ...\` (or node_modules/.bin/node bin/${program}.js ...).\n`,
    );
    process.exit(1);
  }
  const compiled = new URL(`../dist/${module}.js`, import.meta.url);
  return import(existsSync(compiled) ? compiled.href : new URL(`../src/${module}.ts`, import.meta.url).href);
}
