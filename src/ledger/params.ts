// The protocol parameters and genesis constants the ledger rules use, read from a Shelley genesis with the
// fractions (rho, tau, a0) kept exact from the file's own text, and from the Alonzo genesis the price of a UTxO
// byte (Babbage replaced Shelley's flat minUTxOValue and Alonzo's per-word price with it) and the largest
// value an output may hold.
import { parseRational, type Rational } from "../crypto/rational.ts";
import { InputError } from "../formats/errors.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import type { SlotTime } from "./plutus/time.ts";

export interface LedgerParams {
  readonly minFeeA: bigint;
  readonly minFeeB: bigint;
  /**
   * Babbage/Conway `coinsPerUTxOByte`: an output holds at least (160 + its size in bytes) times this. Null when
   * the network's configuration names no Alonzo genesis (then no transaction with outputs can be checked).
   */
  readonly coinsPerUTxOByte: bigint | null;
  /**
   * Alonzo/Conway `maxValSize`: the most bytes an output's value may serialise to. Null when the network's
   * configuration names no Alonzo genesis (then no output carrying tokens can be checked).
   */
  readonly maxValueSize: number | null;
  readonly maxTxSize: number;
  readonly maxBlockBodySize: number;
  readonly keyDeposit: bigint;
  readonly poolDeposit: bigint;
  readonly minPoolCost: bigint;
  /** Furthest epoch (from now) a pool may announce retirement for. */
  readonly eMax: number;
  /** Desired number of pools (k in the reward formula). */
  readonly nOpt: number;
  /** Pledge influence. */
  readonly a0: Rational;
  /** Monetary expansion per epoch. */
  readonly rho: Rational;
  /** Treasury cut. */
  readonly tau: Rational;
  readonly maxLovelaceSupply: bigint;
  readonly epochLength: number;
  readonly activeSlotsCoeff: Rational;
  readonly mainnet: boolean;
  /** The Alonzo-onwards parameters Plutus scripts need; absent, a transaction with Plutus scripts is refused. */
  readonly plutus?: PlutusParams;
  /** Conway's governance parameters; absent, a governance certificate is not judged (UnsupportedFeature). */
  readonly governance?: GovernanceParams;
}

/** cardano-ledger ConwayPParams for DReps (`drepDeposit`, `drepActivity`) and the protocol version they follow. */
export interface GovernanceParams {
  /** Protocol major version: 9 is Conway's bootstrap phase (delegations to unregistered DReps are allowed). */
  readonly protocolMajor: number;
  readonly drepDeposit: bigint;
  /** Epochs a DRep stays active without voting or updating. */
  readonly drepActivity: number;
  readonly protocolMinor: number;
  /** What a proposal must deposit (`govActionDeposit`) and the epochs it stays open (`govActionLifetime`). */
  readonly govActionDeposit: bigint;
  readonly govActionLifetime: number;
  /**
   * What ratification needs (cardano-ledger ConwayPParams); absent, proposals other than info actions are never
   * ratified nor expired. `poolVotingThresholds` in order: motionNoConfidence, committeeNormal,
   * committeeNoConfidence, hardForkInitiation, ppSecurityGroup; `drepVotingThresholds`: motionNoConfidence,
   * committeeNormal, committeeNoConfidence, updateToConstitution, hardForkInitiation, ppNetworkGroup,
   * ppEconomicGroup, ppTechnicalGroup, ppGovGroup, treasuryWithdrawal.
   */
  readonly ratification?: RatificationParams;
}

export interface RatificationParams {
  readonly poolThresholds: readonly Rational[];
  readonly drepThresholds: readonly Rational[];
  readonly committeeMinSize: number;
  readonly committeeMaxTermLength: number;
}

/** cardano-ledger's Alonzo/Babbage/Conway parameters for scripts, collateral and reference-script fees. */
export interface PlutusParams {
  /** Protocol major version (9 and 10 are Conway). */
  readonly protocolMajor: number;
  /** Cost model parameters by Plutus language (1-3), in the ledger's order. */
  readonly costModels: ReadonlyMap<number, readonly bigint[]>;
  /** Lovelace per unit of memory and per CPU step (`prices`). */
  readonly prices: { readonly mem: Rational; readonly steps: Rational };
  readonly maxTxExUnits: { readonly mem: bigint; readonly steps: bigint };
  /** The execution units a block's transactions may use together (`maxBlockExUnits`; reported, not yet checked). */
  readonly maxBlockExUnits?: { readonly mem: bigint; readonly steps: bigint };
  /** Collateral must cover this percentage of the fee. */
  readonly collateralPercentage: bigint;
  readonly maxCollateralInputs: number;
  /** Conway `minFeeRefScriptCostPerByte`: the price of a byte of the reference scripts a transaction uses. */
  readonly minFeeRefScriptCostPerByte: Rational;
  /**
   * The network's slot-to-time conversion, for the validity interval a script sees (plutus/time.ts); absent, a
   * transaction with scripts and a validity bound is not judged (UnsupportedFeature).
   */
  readonly time?: SlotTime;
}

/**
 * `coinsPerUTxOByte` from an Alonzo genesis document: its `lovelacePerUTxOWord` divided by 8 and rounded down,
 * as cardano-ledger translates it into Babbage (`coinsPerUTxOWordToCoinsPerUTxOByte`); mainnet's 34482 gives 4310.
 */
export function coinsPerUTxOByteFromAlonzoGenesis(document: unknown, where = "Alonzo genesis"): bigint {
  const perWord = (document as Record<string, unknown> | null)?.lovelacePerUTxOWord;
  if (typeof perWord !== "number" || !Number.isSafeInteger(perWord) || perWord < 0)
    throw new InputError(where, "lovelacePerUTxOWord must be a whole number ≥ 0");
  return BigInt(perWord) / 8n;
}

/** `maxValSize` from an Alonzo genesis document's `maxValueSize` (5000 on mainnet, preprod and preview). */
export function maxValueSizeFromAlonzoGenesis(document: unknown, where = "Alonzo genesis"): number {
  const size = (document as Record<string, unknown> | null)?.maxValueSize;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    throw new InputError(where, "maxValueSize must be a whole number ≥ 0");
  return size;
}

export function ledgerParamsFromGenesis(
  genesis: ShelleyGenesis,
  where = "Shelley genesis",
  coinsPerUTxOByte: bigint | null = null,
  maxValueSize: number | null = null,
): LedgerParams {
  const pp = (genesis.document.protocolParams ?? {}) as Record<string, unknown>;
  const int = (key: string, fallback?: number): bigint => {
    const v = pp[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new InputError(where, `protocolParams.${key} must be a whole number ≥ 0`);
    return BigInt(v);
  };
  const fraction = (key: string): Rational => {
    if (typeof pp[key] !== "number") throw new InputError(where, `protocolParams.${key} must be a number`);
    const r = genesis.exactNumber(["protocolParams", key]) ?? parseRational(`${pp[key]}`);
    if (r.num < 0n) throw new InputError(where, `protocolParams.${key} must not be negative`);
    return r;
  };
  const supply = genesis.document.maxLovelaceSupply;
  if (typeof supply !== "number" && typeof supply !== "string")
    throw new InputError(where, "maxLovelaceSupply must be a whole number");
  return {
    minFeeA: int("minFeeA"),
    minFeeB: int("minFeeB"),
    coinsPerUTxOByte,
    maxValueSize,
    maxTxSize: Number(int("maxTxSize")),
    maxBlockBodySize: Number(int("maxBlockBodySize")),
    keyDeposit: int("keyDeposit"),
    poolDeposit: int("poolDeposit"),
    minPoolCost: int("minPoolCost", 0),
    eMax: Number(int("eMax")),
    nOpt: Number(int("nOpt")),
    a0: fraction("a0"),
    rho: fraction("rho"),
    tau: fraction("tau"),
    maxLovelaceSupply: BigInt(genesis.exactNumber(["maxLovelaceSupply"])?.num ?? supply),
    epochLength: genesis.epochLength,
    activeSlotsCoeff: genesis.activeSlotsCoeff,
    mainnet: genesis.networkId === "Mainnet",
  };
}
