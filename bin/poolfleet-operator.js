#!/usr/bin/env -S node --optimize-for-size
// --optimize-for-size: V8 keeps a smaller young generation and grows the heap less eagerly. The operator is bound
// by the API server, not by CPU, and at 1000 pools this halves the heap V8 holds beyond what is in use
// (npm run bench: ~290 MB resident without it, ~160 MB with it; the target is 200 MB). The chart and the image
// start the operator through this line; `node bin/poolfleet-operator.js` runs without it.
// Entry point of the operator. Runs the TypeScript sources (Node.js 24 strips types), or
// the image's compiled dist/ (sources.js).
import { importApp } from "./sources.js";

const { main } = await importApp("poolfleet-operator", "operator/main");
process.exitCode = await main(process.argv.slice(2));
