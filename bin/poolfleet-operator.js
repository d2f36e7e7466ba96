#!/usr/bin/env node
// Entry point of the operator. Runs the TypeScript sources (Node.js 24 strips types), or
// the image's compiled dist/ (sources.js).
import { importApp } from "./sources.js";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `poolfleet-operator needs Node.js 24, this is ${process.version}; run it through npm or node_modules/.bin/node.\n`,
  );
  process.exit(1);
}
const { main } = await importApp("operator/main");
process.exitCode = await main(process.argv.slice(2));
