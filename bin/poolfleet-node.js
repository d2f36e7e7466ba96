#!/usr/bin/env node
// Entry point of the node runtime. Runs the TypeScript sources (Node.js 24 strips types), or
// the image's compiled dist/ (sources.js).
import { importApp } from "./sources.js";

const { main } = await importApp("poolfleet-node", "node/main");
process.exitCode = await main(process.argv.slice(2));
