// GetGenesisConfig's answer for mainnet's Shelley genesis (../shared/vectors/genesis), byte for byte as
// cardano-node encodes its CompactGenesis: the 15-field record of ouroboros-consensus's
// encodeShelleyGenesisNoExtraConfig / encodeLegacyShelleyGenesis, each field written out by hand here from the
// Haskell encoders (UTCTime [year, day, picoseconds]; Network Mainnet = 1; the active slot coefficient an untagged
// [num, den]; the slot length in microseconds; tag-30 bounded ratios; NeutralNonce [0]; GenDelegPair [delegate,
// vrf]; the initial funds and staking emptied), and the protocol parameters in both layouts: 18 fields up to
// NodeToClientV_20, 17 with the version as one [major, minor] from V_21. Read back by the CLI's decoder.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { decodeCbor, encodeCbor } from "../../src/codec/cbor.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { genesisFromNode } from "../../src/cli/genesis-from-node.ts";
import { N2C_VERSION_BIT } from "../../src/network/n2c-handshake.ts";
import { encodeGenesisConfig } from "../../src/network/state-query-genesis.ts";

const path = new URL("../fixtures/genesis/mainnet-shelley-genesis.json", import.meta.url);
const bytes = readFileSync(path);
const genesis = parseShelleyGenesis(bytes, "mainnet genesis");
const doc = JSON.parse(bytes.toString("utf8")) as { genDelegs: Record<string, { delegate: string; vrf: string }> };

// The fields before the protocol parameters, written by hand.
const prefix = [
  "83 1907e1 19010a 1b" + (78291n * 10n ** 12n).toString(16).padStart(16, "0"), // 2017-09-23 is day 266; 21:44:51
  "1a2d964a09", // 764824073
  "01", // Mainnet
  "820114", // 1/20, no tag (encodeRatio at shelleyProtVer)
  "190870", // k = 2160
  "1a00069780", // 432000
  "1a0001fa40", // 129600
  "183e", // 62
  "1a000f4240", // 1 s = 1000000 µs (Data.Fixed Micro)
  "05", // update quorum
  "1b009fdf42f6e48000", // 45e15
].join("");
// minFeeA .. nOpt, a0 = 3/10, rho = 3/1000, tau = 1/5, d = 1 (all tag 30), NeutralNonce.
const paramsHead =
  "182c 1a00025ef5 1a00010000 194000 19044c 1a001e8480 1a1dcd6500 12 1896 d81e82030a d81e820319 03e8 d81e820105 d81e820101 8100";
const paramsTail = "1a000f4240 1a1443fd00"; // minUTxOValue, minPoolCost
const delegs = Object.entries(doc.genDelegs).sort(([a], [b]) => (a < b ? -1 : 1));
const genDelegs =
  "a7" +
  delegs.map(([k, d]) => `581c${k} 82 581c${d.delegate} 5820${d.vrf}`).join("") +
  // initial funds (empty map), staking [pools, stake] (empty maps)
  "a0 82a0a0";
const hex = (s: string) => s.replace(/\s+/g, "");

describe("GetGenesisConfig (CompactGenesis)", () => {
  it("encodes mainnet's Shelley genesis with the current protocol-parameter layout from NodeToClientV_21", () => {
    assert.equal(delegs.length, 7);
    const expected = hex(`8f ${prefix} 91 ${paramsHead} 820200 ${paramsTail} ${genDelegs}`);
    assert.equal(bytesToHex(encodeGenesisConfig(genesis, 21 | N2C_VERSION_BIT)), expected);
    assert.equal(bytesToHex(encodeGenesisConfig(genesis, 22 | N2C_VERSION_BIT)), expected);
  });

  it("encodes the legacy 18-field protocol parameters up to NodeToClientV_20", () => {
    const expected = hex(`8f ${prefix} 92 ${paramsHead} 02 00 ${paramsTail} ${genDelegs}`);
    for (const v of [16, 20]) assert.equal(bytesToHex(encodeGenesisConfig(genesis, v | N2C_VERSION_BIT)), expected);
  });

  it("reads back into the genesis the CLI computes KES periods and times with", () => {
    for (const v of [20, 21]) {
      const answer = decodeCbor(encodeCbor([decodeCbor(encodeGenesisConfig(genesis, v | N2C_VERSION_BIT))]));
      const g = genesisFromNode(answer);
      assert.equal(g.systemStart.toISOString(), "2017-09-23T21:44:51.000Z");
      assert.deepEqual(
        [g.networkMagic, g.networkId, g.securityParam, g.epochLength, g.slotLengthMs],
        [764824073, "Mainnet", 2160, 432000, 1000],
      );
      assert.deepEqual([g.slotsPerKESPeriod, g.maxKESEvolutions], [129600, 62]);
      assert.deepEqual(g.activeSlotsCoeff, { num: 1n, den: 20n });
    }
    assert.throws(
      () =>
        genesisFromNode([
          [5, "Babbage"],
          [6, "Conway"],
        ] as never),
      /not in the Conway era/,
    );
  });
});
