// GetCurrentPParams' answer: Conway's 31-field PParams as cardano-ledger encodes them (Cardano.Ledger.Conway.PParams
// `instance EncCBOR (ConwayPParams Identity era)`), from the parameters in force — the network's genesis values with
// what governance enacted (ledger/param-changes.ts) — cost models as Cardano.Ledger.Plutus.CostModels writes them
// (a map from the language's Word8 to a Haskell list: definite-length up to 23 items, indefinite past that), and
// cardano-cli's JSON for them (`poolfleet-cli query protocol-parameters`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { rational } from "../../src/crypto/rational.ts";
import { type CborValue, decodeCbor } from "../../src/codec/cbor.ts";
import { createDevnet, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { governanceParamsFromGenesis, plutusParamsFromGenesis } from "../../src/ledger/genesis-params.ts";
import { ledgerParamsFromGenesis, type LedgerParams } from "../../src/ledger/params.ts";
import { genesisLedgerState } from "../../src/ledger/state.ts";
import { encodeConwayParams, encodeCostModels, type LedgerQueryView } from "../../src/network/state-query-ledger.ts";
import { protocolParametersJson } from "../../src/cli/commands/query-node.ts";
import { copyLedger } from "../../src/node/state-query-view.ts";

const devnet = createDevnet({ ...DEVNET_DEFAULTS, pools: 1, startTime: new Date("2026-03-01T00:00:00Z") });
const genesis = parseShelleyGenesis(Uint8Array.from(Buffer.from(devnet.shelleyGenesis)), "test genesis");
const alonzo = JSON.parse(devnet.alonzoGenesis) as Record<string, unknown>;
const conway = JSON.parse(devnet.conwayGenesis) as Record<string, unknown>;
const v1 = [205665n, 812n, 1n, -3n];
const base = ledgerParamsFromGenesis(genesis, "test genesis", 4310n, 5000);
const plutus = plutusParamsFromGenesis(
  { ...alonzo, costModels: { PlutusV1: v1.map(Number) } },
  conway,
  10,
  undefined!,
  {
    alonzo: "alonzo",
    conway: "conway",
  },
);
const params: LedgerParams = { ...base, plutus, governance: governanceParamsFromGenesis(conway, [10, 0], "conway") };

function view(changes: Map<number, CborValue> = new Map(), pv: [number, number] | null = null): LedgerQueryView {
  const ledger = genesisLedgerState(genesis, params);
  ledger.paramChanges = changes;
  ledger.protocolVersion = pv;
  return {
    tipPoint: "origin",
    ledger,
    params,
    protocolVersion: [10, 0],
    maxBlockHeaderSize: 1100,
    genesis,
    chainDep: { lastSlot: null, counters: new Map(), nonces: undefined! },
  };
}

const tag30 = (v: CborValue) => {
  const t = v as unknown as { tag: number; value: [number, number] };
  assert.equal(t.tag, 30);
  return t.value.map(Number);
};

describe("GetCurrentPParams (ConwayPParams)", () => {
  it("encodes cost models as a map of language Word8 to Haskell lists (indefinite past 23 items)", () => {
    const long = Array.from({ length: 24 }, (_, i) => BigInt(i));
    const bytes = encodeCostModels(
      new Map([
        [3, long],
        [1, v1],
      ]),
    );
    const expected =
      "a2" + // map of 2: PlutusV1 (0) before PlutusV3 (2)
      "00 84 1a00032361 19032c 01 22" + // PlutusV1: 205665, 812, 1, -3 (a definite list of 4)
      "02 9f" +
      long.map((x) => (x < 24n ? x.toString(16).padStart(2, "0") : `18${x.toString(16)}`)).join("") +
      "ff";
    assert.equal(bytesToHex(bytes), expected.replace(/\s+/g, ""));
  });

  it("answers every field from the genesis parameters", () => {
    const p = decodeCbor(encodeConwayParams(view())) as CborValue[];
    assert.equal(p.length, 31);
    assert.deepEqual(p[4], 1100);
    assert.deepEqual(p[12], [10, 0]);
    assert.equal(p[14], 4310);
    const models = p[15] as Map<CborValue, CborValue[]>;
    assert.deepEqual([...models.keys()], [0, 2]); // V1 from the Alonzo genesis, V3 from the Conway genesis
    assert.deepEqual(models.get(0)!.map(Number), v1.map(Number));
    assert.equal(models.get(2)!.length, (conway.plutusV3CostModel as number[]).length);
    assert.deepEqual((p[16] as CborValue[]).map(tag30), [
      [577, 10000],
      [721, 10000000],
    ]);
    assert.deepEqual((p[17] as CborValue[]).map(Number), [14000000, 10000000000]);
    assert.deepEqual((p[18] as CborValue[]).map(Number), [62000000, 20000000000]);
    assert.deepEqual([p[19], p[20], p[21]], [5000, 150, 3]);
    assert.deepEqual((p[22] as CborValue[]).map(tag30), Array(5).fill([51, 100]));
    assert.deepEqual((p[23] as CborValue[]).map(tag30)[9], [67, 100]);
    assert.deepEqual(p.slice(24, 30).map(Number), [0, 73, 6, 100000000000, 500000000, 20]);
    assert.deepEqual(tag30(p[30]!), [15, 1]);
  });

  it("answers what governance enacted: changed fields, cost models merged by language, a hard fork's version", () => {
    const changes = new Map<number, CborValue>([
      [4, 2000],
      [18, new Map([[0, [7, 8]]])],
      [
        19,
        [
          { tag: 30, value: [1, 2] },
          { tag: 30, value: [1, 3] },
        ] as unknown as CborValue,
      ],
      [21, [1, 2]],
      [24, 5],
      [27, 3],
      [30, 123n],
      [33, { tag: 30, value: [44, 1] } as unknown as CborValue],
    ]);
    const p = decodeCbor(encodeConwayParams(view(changes, [11, 0]))) as CborValue[];
    assert.equal(p[4], 2000);
    assert.deepEqual(p[12], [11, 0]);
    const models = p[15] as Map<CborValue, CborValue[]>;
    assert.deepEqual(models.get(0), [7, 8]);
    assert.ok(models.has(2));
    assert.deepEqual((p[16] as CborValue[]).map(tag30), [
      [1, 2],
      [1, 3],
    ]);
    assert.deepEqual(p[18], [1, 2]);
    assert.equal(p[21], 5);
    assert.equal(p[24], 3);
    assert.equal(Number(p[27]), 123);
    assert.deepEqual(tag30(p[30]!), [44, 1]);

    const json = protocolParametersJson(p);
    assert.deepEqual(json.costModels, { PlutusV1: [7, 8], PlutusV3: models.get(2) });
    assert.deepEqual(json.maxBlockExecutionUnits, { memory: 1, steps: 2 });
    assert.deepEqual(json.executionUnitPrices, { priceMemory: 0.5, priceSteps: 1 / 3 });
    assert.equal(json.govActionDeposit, 123);
    assert.deepEqual(json.protocolVersion, { major: 11, minor: 0 });
  });
});

describe("an acquire at the tip", () => {
  it("holds the enacted parameters, protocol version, committee quorum and ratification with its copy", () => {
    const l = view(new Map([[30, 7n]]), [11, 0]).ledger;
    l.committeeThreshold = rational(2n, 3n);
    l.dormantEpochs = 2;
    const copy = copyLedger(l);
    assert.equal(copy.paramChanges, l.paramChanges);
    assert.deepEqual(copy.protocolVersion, [11, 0]);
    assert.deepEqual(copy.committeeThreshold, rational(2n, 3n));
    assert.equal(copy.dormantEpochs, 2);
    const p = decodeCbor(encodeConwayParams({ ...view(), ledger: copy })) as CborValue[];
    assert.equal(Number(p[27]), 7);
  });
});
