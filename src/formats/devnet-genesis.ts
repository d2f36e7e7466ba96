// A local devnet in Cardano's own file formats: Shelley, Alonzo and Conway genesis, cardano-node's config.json
// and P2P topology, and for each pool a full cardano-cli key set, with the pools registered and delegated in the
// genesis staking so they lead from epoch 0. Pure: returns the files; the CLI writes them.
import { randomBytes } from "node:crypto";
import { bytesToHex, concatBytes, wipe } from "../crypto/bytes.ts";
import { ed25519PublicKey } from "../crypto/ed25519.ts";
import { blake2b224, blake2b256 } from "../crypto/hash.ts";
import { KesSigningKey } from "../crypto/kes.ts";
import { parseRational, type Rational } from "../crypto/rational.ts";
import { vrfSecretKeyBytes, vrfSecretKeyFromSeed } from "../crypto/vrf.ts";
import { issueOperationalCertificate, type IssueCounter, type OperationalCertificate } from "./opcert.ts";

export interface DevnetOptions {
  readonly pools: number;
  readonly slotLengthS: Rational;
  readonly epochLength: number;
  readonly securityParam: number;
  readonly activeSlotCoeff: Rational;
  readonly startTime: Date;
  readonly networkMagic: number;
  readonly slotsPerKESPeriod: number;
  readonly maxKESEvolutions: number;
  /** Lovelace delegated to each pool from genesis. */
  readonly stakePerPool: bigint;
}

export const DEVNET_DEFAULTS: Omit<DevnetOptions, "startTime" | "pools"> = {
  slotLengthS: { num: 1n, den: 5n },
  epochLength: 500,
  securityParam: 10,
  activeSlotCoeff: { num: 1n, den: 10n },
  networkMagic: 42,
  slotsPerKESPeriod: 129600,
  maxKESEvolutions: 62,
  stakePerPool: 1_000_000_000_000n,
};

export interface PoolKeySet {
  readonly name: string;
  readonly poolId: Uint8Array;
  readonly coldSeed: Uint8Array;
  readonly coldVkey: Uint8Array;
  readonly kesKey: Uint8Array;
  readonly kesVkey: Uint8Array;
  readonly vrfKey: Uint8Array;
  readonly vrfVkey: Uint8Array;
  readonly opcert: OperationalCertificate;
  readonly counter: IssueCounter;
  readonly paymentSeed: Uint8Array;
  readonly stakeSeed: Uint8Array;
}

export interface Devnet {
  readonly shelleyGenesis: string;
  readonly alonzoGenesis: string;
  readonly conwayGenesis: string;
  /** config.json; refers to the genesis files by name and carries the Shelley genesis hash. */
  readonly config: string;
  readonly pools: PoolKeySet[];
}

/** A rational as the JSON number genesis files use; refuses values a decimal cannot state exactly. */
export function exactDecimal(r: Rational, what: string): number {
  const n = Number(r.num) / Number(r.den);
  const back = parseRational(String(n));
  if (back.num !== r.num || back.den !== r.den)
    throw new RangeError(`${what} must be a short decimal such as 0.1 or 0.2`);
  return n;
}

function newPool(index: number): PoolKeySet {
  const coldSeed = Uint8Array.from(randomBytes(32));
  const coldVkey = ed25519PublicKey(coldSeed);
  const kesSeed = Uint8Array.from(randomBytes(32));
  const kes = KesSigningKey.generate(kesSeed);
  wipe(kesSeed);
  const vrf = vrfSecretKeyFromSeed(Uint8Array.from(randomBytes(32)));
  const opcert = issueOperationalCertificate(coldSeed, kes.verificationKey, 0, 0);
  return {
    name: `pool${index + 1}`,
    poolId: blake2b224(coldVkey),
    coldSeed,
    coldVkey,
    kesKey: kes.toBytes(),
    kesVkey: kes.verificationKey,
    vrfKey: vrfSecretKeyBytes(vrf),
    vrfVkey: vrf.publicKey,
    opcert,
    counter: { nextIssueNumber: 1, coldVkey },
    paymentSeed: Uint8Array.from(randomBytes(32)),
    stakeSeed: Uint8Array.from(randomBytes(32)),
  };
}

/** Base address (payment key, stake key) on a test network: header 0x00 || payment hash || stake hash. */
export function baseAddress(paymentVkey: Uint8Array, stakeVkey: Uint8Array, mainnet = false): Uint8Array {
  return concatBytes(Uint8Array.of(mainnet ? 0x01 : 0x00), blake2b224(paymentVkey), blake2b224(stakeVkey));
}

export function createDevnet(options: DevnetOptions): Devnet {
  if (!Number.isInteger(options.pools) || options.pools < 1) throw new RangeError("a devnet needs at least one pool");
  const pools = Array.from({ length: options.pools }, (_, i) => newPool(i));
  const initialFunds: Record<string, number> = {};
  const stakingPools: Record<string, unknown> = {};
  const stakingStake: Record<string, string> = {};
  for (const p of pools) {
    const stakeVkey = ed25519PublicKey(p.stakeSeed);
    const address = baseAddress(ed25519PublicKey(p.paymentSeed), stakeVkey);
    initialFunds[bytesToHex(address)] = Number(options.stakePerPool);
    const stakeHash = bytesToHex(blake2b224(stakeVkey));
    stakingStake[stakeHash] = bytesToHex(p.poolId);
    stakingPools[bytesToHex(p.poolId)] = {
      cost: 340000000,
      margin: 0,
      metadata: null,
      owners: [stakeHash],
      pledge: 0,
      publicKey: bytesToHex(p.poolId),
      relays: [],
      rewardAccount: { credential: { "key hash": stakeHash }, network: "Testnet" },
      vrf: bytesToHex(blake2b256(p.vrfVkey)),
    };
  }
  const shelley = {
    activeSlotsCoeff: exactDecimal(options.activeSlotCoeff, "active slot coefficient"),
    epochLength: options.epochLength,
    genDelegs: {},
    initialFunds,
    maxKESEvolutions: options.maxKESEvolutions,
    maxLovelaceSupply: 45000000000000000,
    networkId: "Testnet",
    networkMagic: options.networkMagic,
    protocolParams: {
      a0: 0.3,
      decentralisationParam: 0,
      eMax: 18,
      extraEntropy: { tag: "NeutralNonce" },
      keyDeposit: 2000000,
      maxBlockBodySize: 65536,
      maxBlockHeaderSize: 1100,
      maxTxSize: 16384,
      minFeeA: 44,
      minFeeB: 155381,
      minPoolCost: 340000000,
      minUTxOValue: 1000000,
      nOpt: 500,
      poolDeposit: 500000000,
      protocolVersion: { major: 10, minor: 0 },
      rho: 0.003,
      tau: 0.2,
    },
    securityParam: options.securityParam,
    slotLength: exactDecimal(options.slotLengthS, "slot length"),
    slotsPerKESPeriod: options.slotsPerKESPeriod,
    staking: { pools: stakingPools, stake: stakingStake },
    systemStart: options.startTime.toISOString().replace(/\.\d{3}Z$/, "Z"),
    updateQuorum: 1,
  };
  const shelleyGenesis = `${JSON.stringify(shelley, null, 2)}\n`;
  const alonzoGenesis = `${JSON.stringify(
    {
      collateralPercentage: 150,
      costModels: {},
      executionPrices: { prMem: 0.0577, prSteps: 0.0000721 },
      lovelacePerUTxOWord: 34482,
      maxBlockExUnits: { exUnitsMem: 62000000, exUnitsSteps: 20000000000 },
      maxCollateralInputs: 3,
      maxTxExUnits: { exUnitsMem: 14000000, exUnitsSteps: 10000000000 },
      maxValueSize: 5000,
    },
    null,
    2,
  )}\n`;
  const conwayGenesis = `${JSON.stringify(
    {
      committee: { members: {}, threshold: 0 },
      committeeMaxTermLength: 73,
      committeeMinSize: 0,
      constitution: { anchor: { dataHash: "0".repeat(64), url: "" } },
      dRepActivity: 20,
      dRepDeposit: 500000000,
      // Mainnet's Conway genesis thresholds.
      dRepVotingThresholds: {
        committeeNoConfidence: 0.6,
        committeeNormal: 0.67,
        hardForkInitiation: 0.6,
        motionNoConfidence: 0.67,
        ppEconomicGroup: 0.67,
        ppGovGroup: 0.75,
        ppNetworkGroup: 0.67,
        ppTechnicalGroup: 0.67,
        treasuryWithdrawal: 0.67,
        updateToConstitution: 0.75,
      },
      govActionDeposit: 100000000000,
      govActionLifetime: 6,
      minFeeRefScriptCostPerByte: 15,
      // A devnet's PlutusV3 scripts run free: 251 zero costs (the length of Conway's first V3 cost model), as the
      // Haskell conformance vectors' cost models are, since poolfleet's script budgets are not yet checked
      // against a third party's.
      plutusV3CostModel: new Array<number>(251).fill(0),
      poolVotingThresholds: {
        committeeNoConfidence: 0.51,
        committeeNormal: 0.51,
        hardForkInitiation: 0.51,
        motionNoConfidence: 0.51,
        ppSecurityGroup: 0.51,
      },
    },
    null,
    2,
  )}\n`;
  const config = `${JSON.stringify(
    {
      Protocol: "Cardano",
      RequiresNetworkMagic: "RequiresMagic",
      ShelleyGenesisFile: "shelley-genesis.json",
      ShelleyGenesisHash: bytesToHex(blake2b256(Buffer.from(shelleyGenesis))),
      AlonzoGenesisFile: "alonzo-genesis.json",
      AlonzoGenesisHash: bytesToHex(blake2b256(Buffer.from(alonzoGenesis))),
      ConwayGenesisFile: "conway-genesis.json",
      ConwayGenesisHash: bytesToHex(blake2b256(Buffer.from(conwayGenesis))),
      EnableP2P: true,
      "LastKnownBlockVersion-Major": 10,
      "LastKnownBlockVersion-Minor": 0,
      TestShelleyHardForkAtEpoch: 0,
      TestAllegraHardForkAtEpoch: 0,
      TestMaryHardForkAtEpoch: 0,
      TestAlonzoHardForkAtEpoch: 0,
      TestBabbageHardForkAtEpoch: 0,
      TestConwayHardForkAtEpoch: 0,
      minSeverity: "Info",
    },
    null,
    2,
  )}\n`;
  return { shelleyGenesis, alonzoGenesis, conwayGenesis, config, pools };
}
