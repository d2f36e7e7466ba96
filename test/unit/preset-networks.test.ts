// The preset networks the node image ships (node-image/networks/<name>/): each Shelley genesis is the verbatim
// public file (byte-identical to the fixture whose source test/fixtures/SOURCES.md records), and each config.json
// names it with the ShelleyGenesisHash of the network's official config, so poolfleet-node loads it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { PRESET_NETWORKS } from "../../src/api/common.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { fixturePath, readFixtureJson } from "../helpers/fixtures.ts";

const networks = fileURLToPath(new URL("../../node-image/networks/", import.meta.url));
const constants = readFixtureJson<{
  shelley_genesis_files: Record<string, { blake2b256_of_file_bytes: string }>;
  fields_read_from_genesis: Record<string, { networkMagic: number }>;
}>("genesis", "network-constants.json");

describe("preset networks in node-image/networks", () => {
  for (const name of PRESET_NETWORKS) {
    it(`${name}: the public Shelley genesis, named by a config.json poolfleet-node loads`, () => {
      assert.deepEqual(
        readFileSync(`${networks}${name}/shelley-genesis.json`),
        readFileSync(fixturePath("genesis", `${name}-shelley-genesis.json`)),
      );
      const network = loadNetwork(`${networks}${name}/config.json`);
      assert.equal(network.summary.shelleyGenesisHash, constants.shelley_genesis_files[name]!.blake2b256_of_file_bytes);
      assert.equal(network.genesis.networkMagic, constants.fields_read_from_genesis[name]!.networkMagic);
      // The Alonzo genesis (the official file, hash-checked by loadNetwork against the official config's
      // AlonzoGenesisHash) gives the output minimum: lovelacePerUTxOWord 34482 / 8 (cardano-ledger's conversion).
      assert.equal(network.ledgerParams.coinsPerUTxOByte, 4310n);
      assert.equal(network.ledgerParams.maxValueSize, 5000);
    });
  }
});
