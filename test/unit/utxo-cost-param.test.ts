// coinsPerUTxOByte as poolfleet-node reads it: from the Alonzo genesis config.json names (its hash checked),
// lovelacePerUTxOWord div 8 as cardano-ledger translates it into Babbage; null when no Alonzo genesis is named.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createDevnet, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import { InputError } from "../../src/formats/errors.ts";
import { coinsPerUTxOByteFromAlonzoGenesis, maxValueSizeFromAlonzoGenesis } from "../../src/ledger/params.ts";
import { loadNetwork } from "../../src/node/config.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-utxo-cost-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const devnet = createDevnet({ ...DEVNET_DEFAULTS, pools: 1, startTime: new Date() });
writeFileSync(join(dir, "shelley-genesis.json"), devnet.shelleyGenesis);
writeFileSync(join(dir, "alonzo-genesis.json"), devnet.alonzoGenesis);
writeFileSync(join(dir, "conway-genesis.json"), devnet.conwayGenesis);
const config = JSON.parse(devnet.config) as Record<string, unknown>;
const writeConfig = (c: Record<string, unknown>) => {
  writeFileSync(join(dir, "config.json"), JSON.stringify(c));
  return join(dir, "config.json");
};

describe("coinsPerUTxOByte", () => {
  it("is lovelacePerUTxOWord / 8 rounded down (mainnet's 34482 gives 4310)", () => {
    assert.equal(coinsPerUTxOByteFromAlonzoGenesis({ lovelacePerUTxOWord: 34482 }), 4310n);
    assert.equal(coinsPerUTxOByteFromAlonzoGenesis({ lovelacePerUTxOWord: 15 }), 1n);
    assert.throws(() => coinsPerUTxOByteFromAlonzoGenesis({ lovelacePerUTxOWord: "34482" }), InputError);
    assert.throws(() => coinsPerUTxOByteFromAlonzoGenesis({}), /lovelacePerUTxOWord must be a whole number/);
  });

  it("the node reads it from the devnet's Alonzo genesis", () => {
    const net = loadNetwork(writeConfig(config));
    assert.equal(net.ledgerParams.coinsPerUTxOByte, 4310n);
    assert.equal(net.summary.coinsPerUTxOByte, 4310);
    assert.equal(net.ledgerParams.maxValueSize, 5000, "and maxValueSize, which bounds an output's value");
  });

  it("maxValueSize is the Alonzo genesis's, a whole number", () => {
    assert.equal(maxValueSizeFromAlonzoGenesis({ maxValueSize: 5000 }), 5000);
    assert.throws(() => maxValueSizeFromAlonzoGenesis({}), /maxValueSize must be a whole number/);
    assert.throws(() => maxValueSizeFromAlonzoGenesis({ maxValueSize: 1.5 }), InputError);
  });

  it("an Alonzo genesis that does not match its stated hash is refused, saying which file", () => {
    const path = join(dir, "alonzo-genesis.json");
    writeFileSync(path, readFileSync(path, "utf8").replace("34482", "1"));
    try {
      assert.throws(() => loadNetwork(writeConfig(config)), /AlonzoGenesisHash [0-9a-f]{64} does not match .*alonzo/);
    } finally {
      writeFileSync(path, devnet.alonzoGenesis);
    }
    assert.throws(
      () => loadNetwork(writeConfig({ ...config, AlonzoGenesisFile: "missing.json" })),
      /AlonzoGenesisFile .*missing.json does not exist/,
    );
  });

  it("is null when config.json names no Alonzo genesis", () => {
    const { AlonzoGenesisFile: _file, AlonzoGenesisHash: _hash, ...rest } = config;
    assert.equal(loadNetwork(writeConfig(rest)).ledgerParams.coinsPerUTxOByte, null);
    assert.equal(loadNetwork(writeConfig(rest)).ledgerParams.maxValueSize, null);
  });
});
