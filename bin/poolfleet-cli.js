#!/usr/bin/env node
// Entry point. Runs the TypeScript sources (Node.js 24 strips types; README,
// "Toolchain"), or the image's compiled dist/ (sources.js).
import { importApp } from "./sources.js";

process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { main, processOutput } = await importApp("poolfleet-cli", "cli/main");
process.exitCode = await main(process.argv.slice(2), processOutput());
