// The Alonzo and Conway genesis parameters the node gives its ledger (ledger/genesis-params.ts, node/config.ts):
// Plutus cost models (arrays, or objects by parameter name), exact prices, limits and the slot-to-time
// conversion and its horizon at the node's tip; governance deposits, lifetimes and thresholds; the initial committee
// and constitution.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { rational } from "../../src/crypto/rational.ts";
import { createDevnet, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import {
  governanceFromGenesis,
  governanceParamsFromGenesis,
  plutusParamsFromGenesis,
} from "../../src/ledger/genesis-params.ts";
import { stabilityWindow } from "../../src/consensus/nonce.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ledgerParamsAt } from "../../src/node/ledger-params.ts";

const time = { systemStartMs: 0n, byronSlots: 0n, byronSlotLengthMs: 0n, slotLengthMs: 1000n };
const where = { alonzo: "alonzo", conway: "conway" };

describe("genesis parameters for Plutus and governance", () => {
  it("reads cost models, exact prices and limits", () => {
    const p = plutusParamsFromGenesis(
      {
        collateralPercentage: 150,
        costModels: { PlutusV1: { b: 2, a: 1 }, PlutusV2: [3, 4] },
        executionPrices: { prMem: 0.0577, prSteps: { numerator: 721, denominator: 10000000 } },
        maxCollateralInputs: 3,
        maxTxExUnits: { exUnitsMem: 14000000, exUnitsSteps: 10000000000 },
      },
      { plutusV3CostModel: [5, 6, 7], minFeeRefScriptCostPerByte: 15 },
      10,
      time,
      where,
    );
    assert.deepEqual(
      [...p.costModels],
      [
        [1, [1n, 2n]],
        [2, [3n, 4n]],
        [3, [5n, 6n, 7n]],
      ],
    );
    assert.deepEqual(p.prices, { mem: rational(577n, 10000n), steps: rational(721n, 10000000n) });
    assert.deepEqual(p.maxTxExUnits, { mem: 14000000n, steps: 10000000000n });
    assert.deepEqual(p.minFeeRefScriptCostPerByte, rational(15n, 1n));
    assert.throws(() => plutusParamsFromGenesis({}, {}, 10, time, where), /collateralPercentage|prMem/);
  });

  it("reads governance parameters, the committee and the constitution", () => {
    const th = (names: string[]) => Object.fromEntries(names.map((n, i) => [n, (i + 1) / 100]));
    const conway = {
      committee: {
        members: { [`keyHash-${"ab".repeat(28)}`]: 80, [`scriptHash-${"cd".repeat(28)}`]: 90 },
        threshold: 0.66,
      },
      committeeMaxTermLength: 146,
      committeeMinSize: 7,
      constitution: { anchor: { url: "", dataHash: "" }, script: "fa".repeat(28) },
      dRepActivity: 20,
      dRepDeposit: 500000000,
      govActionDeposit: 100000000000,
      govActionLifetime: 6,
      poolVotingThresholds: th([
        "motionNoConfidence",
        "committeeNormal",
        "committeeNoConfidence",
        "hardForkInitiation",
        "ppSecurityGroup",
      ]),
      dRepVotingThresholds: th([
        "motionNoConfidence",
        "committeeNormal",
        "committeeNoConfidence",
        "updateToConstitution",
        "hardForkInitiation",
        "ppNetworkGroup",
        "ppEconomicGroup",
        "ppTechnicalGroup",
        "ppGovGroup",
        "treasuryWithdrawal",
      ]),
    };
    const g = governanceParamsFromGenesis(conway, [10, 0], "conway");
    assert.equal(g.ratification?.poolThresholds[4]?.num, 1n);
    assert.deepEqual(g.ratification?.drepThresholds[9], rational(1n, 10n));
    assert.deepEqual([g.ratification?.committeeMinSize, g.ratification?.committeeMaxTermLength], [7, 146]);
    assert.throws(
      () => governanceParamsFromGenesis({ ...conway, dRepVotingThresholds: {} }, [10, 0], "c"),
      /ppGovGroup|motion/,
    );
    const gov = governanceFromGenesis(conway, "conway");
    assert.deepEqual(
      [...gov.committee],
      [
        ["ab".repeat(28), 80],
        [`script:${"cd".repeat(28)}`, 90],
      ],
    );
    assert.deepEqual(gov.committeeThreshold, rational(33n, 50n));
    assert.equal(gov.constitutionPolicy, "fa".repeat(28));
  });

  it("a devnet node's ledger gets Plutus with its slot-to-time conversion, and governance", () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-genesis-params-"));
    try {
      const devnet = createDevnet({ ...DEVNET_DEFAULTS, pools: 1, startTime: new Date(1_700_000_000_000) });
      const files: [string, string][] = [
        ["config.json", devnet.config],
        ["shelley-genesis.json", devnet.shelleyGenesis],
        ["alonzo-genesis.json", devnet.alonzoGenesis],
        ["conway-genesis.json", devnet.conwayGenesis],
      ];
      for (const [file, text] of files) writeFileSync(join(dir, file), text);
      const net = loadNetwork(join(dir, "config.json"));
      assert.equal(net.ledgerParams.plutus?.time?.systemStartMs, 1_700_000_000_000n);
      assert.equal(net.ledgerParams.plutus?.costModels.get(3)?.length, 251);
      assert.equal(net.ledgerParams.governance?.protocolMajor, 10);
      assert.equal(net.ledgerParams.governance?.ratification?.drepThresholds.length, 10);
      assert.equal(net.governance?.committeeThreshold?.num, 0n);
      // The conversion's horizon: the first epoch boundary at or after the tip plus ceil(3k/f).
      const window = BigInt(stabilityWindow(net.genesis.securityParam, net.genesis.activeSlotsCoeff, false));
      const length = BigInt(net.genesis.epochLength);
      const at = (tip: bigint) => ledgerParamsAt(net, tip).plutus?.time?.horizon;
      assert.equal(at(0n), ((window + length - 1n) / length) * length);
      assert.equal(at(length * 5n) ?? 0n, ((length * 5n + window + length - 1n) / length) * length);
      assert.ok((at(length * 5n) ?? 0n) % length === 0n && (at(length * 5n) ?? 0n) >= length * 5n + window);
      assert.equal(ledgerParamsAt(net, 1n), ledgerParamsAt(net, 2n), "one object per horizon");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
