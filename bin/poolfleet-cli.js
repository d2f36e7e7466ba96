#!/usr/bin/env node
// Entry point. Runs the TypeScript sources (Node.js 24 strips types; README,
// "Toolchain"), or the image's compiled dist/ (sources.js).
import { importApp } from "./sources.js";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `poolfleet-cli needs Node.js 24, this is ${process.version}. The project pins it: run \`npm ci\`, then ` +
      "`npx poolfleet-cli ...` (or node_modules/.bin/node bin/poolfleet-cli.js ...).\n",
  );
  process.exit(1);
}
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { main, processOutput } = await importApp("cli/main");
process.exitCode = await main(process.argv.slice(2), processOutput());
