// The Alonzo-onwards and Conway parameters from the genesis files a node's config.json names (cardano-ledger
// AlonzoGenesis and ConwayGenesis, as cardano-node reads them): cost models, prices and limits for Plutus scripts,
// the reference-script price, Conway's governance parameters (deposits, lifetimes, the pools' and DReps' voting
// thresholds, the committee's size and term) and the initial committee and constitution.
import { parseRational, rational, type Rational } from "../crypto/rational.ts";
import { InputError } from "../formats/errors.ts";
import type { GovernanceParams, PlutusParams } from "./params.ts";
import type { SlotTime } from "./plutus/time.ts";
import { scriptCredential } from "./certs.ts";

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Doc) : {});

function whole(doc: Doc, key: string, where: string): bigint {
  const v = doc[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new InputError(where, `${key} must be a whole number ≥ 0`);
  return BigInt(v);
}

/** A genesis fraction: a JSON number (read exactly from its decimal form) or {numerator, denominator}. */
function fraction(v: unknown, what: string, where: string): Rational {
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return parseRational(`${v}`);
  const o = obj(v);
  if (typeof o.numerator === "number" && typeof o.denominator === "number" && o.denominator > 0)
    return rational(BigInt(o.numerator), BigInt(o.denominator));
  throw new InputError(where, `${what} must be a number ≥ 0 or {numerator, denominator}`);
}

/** A cost model: an array in the ledger's order, or (older Alonzo genesis files) an object by parameter name. */
function costModel(v: unknown, what: string, where: string): bigint[] {
  const values = Array.isArray(v)
    ? v
    : Object.keys(obj(v))
        .sort()
        .map((k) => obj(v)[k]);
  return values.map((x, i) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x))
      throw new InputError(where, `${what}[${i}] is not an integer`);
    return BigInt(x);
  });
}

/**
 * PlutusParams from an Alonzo genesis (costModels PlutusV1/PlutusV2, executionPrices, maxTxExUnits, maxBlockExUnits,
 * collateralPercentage, maxCollateralInputs) and a Conway genesis (plutusV3CostModel,
 * minFeeRefScriptCostPerByte), at `protocolMajor`, with the network's slot-to-time conversion.
 */
export function plutusParamsFromGenesis(
  alonzo: unknown,
  conway: unknown,
  protocolMajor: number,
  time: SlotTime,
  where: { alonzo: string; conway: string },
): PlutusParams {
  const a = obj(alonzo);
  const c = obj(conway);
  const costModels = new Map<number, bigint[]>();
  const models = obj(a.costModels);
  for (const [name, version] of [
    ["PlutusV1", 1],
    ["PlutusV2", 2],
  ] as const)
    if (models[name] !== undefined)
      costModels.set(version, costModel(models[name], `costModels.${name}`, where.alonzo));
  if (Array.isArray(c.plutusV3CostModel) && c.plutusV3CostModel.length > 0)
    costModels.set(3, costModel(c.plutusV3CostModel, "plutusV3CostModel", where.conway));
  const prices = obj(a.executionPrices);
  const exUnits = (u: Doc, what: string) => ({
    mem: whole(u, u.exUnitsMem !== undefined ? "exUnitsMem" : "memory", `${where.alonzo} ${what}`),
    steps: whole(u, u.exUnitsSteps !== undefined ? "exUnitsSteps" : "steps", `${where.alonzo} ${what}`),
  });
  return {
    protocolMajor,
    costModels,
    prices: {
      mem: fraction(prices.prMem, "executionPrices.prMem", where.alonzo),
      steps: fraction(prices.prSteps, "executionPrices.prSteps", where.alonzo),
    },
    maxTxExUnits: exUnits(obj(a.maxTxExUnits), "maxTxExUnits"),
    ...(a.maxBlockExUnits !== undefined && { maxBlockExUnits: exUnits(obj(a.maxBlockExUnits), "maxBlockExUnits") }),
    collateralPercentage: whole(a, "collateralPercentage", where.alonzo),
    maxCollateralInputs: Number(whole(a, "maxCollateralInputs", where.alonzo)),
    minFeeRefScriptCostPerByte: fraction(c.minFeeRefScriptCostPerByte ?? 0, "minFeeRefScriptCostPerByte", where.conway),
    time,
  };
}

/**
 * The voting thresholds' names in cardano-ledger's field order (PoolVotingThresholds, DRepVotingThresholds): as the
 * Conway genesis names them and as the protocol parameters encode them, in that order.
 */
export const POOL_THRESHOLDS = [
  "motionNoConfidence",
  "committeeNormal",
  "committeeNoConfidence",
  "hardForkInitiation",
  "ppSecurityGroup",
];
export const DREP_THRESHOLDS = [
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
];

/** Conway's governance parameters from a Conway genesis, at protocol version `major.minor`. */
export function governanceParamsFromGenesis(
  conway: unknown,
  version: readonly [number, number],
  where: string,
): GovernanceParams {
  const c = obj(conway);
  const thresholds = (key: string, names: string[]) => {
    const t = obj(c[key]);
    return names.map((n) => fraction(t[n], `${key}.${n}`, where));
  };
  return {
    protocolMajor: version[0],
    protocolMinor: version[1],
    drepDeposit: whole(c, "dRepDeposit", where),
    drepActivity: Number(whole(c, "dRepActivity", where)),
    govActionDeposit: whole(c, "govActionDeposit", where),
    govActionLifetime: Number(whole(c, "govActionLifetime", where)),
    ratification: {
      poolThresholds: thresholds("poolVotingThresholds", POOL_THRESHOLDS),
      drepThresholds: thresholds("dRepVotingThresholds", DREP_THRESHOLDS),
      committeeMinSize: Number(whole(c, "committeeMinSize", where)),
      committeeMaxTermLength: Number(whole(c, "committeeMaxTermLength", where)),
    },
  };
}

/** The initial committee (cold credential to its last epoch, and quorum; null quorum: no committee) and the
 * constitution's guardrail script, from a Conway genesis. */
export interface GenesisGovernance {
  readonly committee: Map<string, number>;
  readonly committeeThreshold: Rational | null;
  readonly constitutionPolicy: string | null;
  /** The constitution's anchor [url, data hash in hex]. */
  readonly constitutionAnchor: readonly [string, string] | null;
}

export function governanceFromGenesis(conway: unknown, where: string): GenesisGovernance {
  const c = obj(conway);
  const committee = new Map<string, number>();
  const field = obj(c.committee);
  for (const [name, epoch] of Object.entries(obj(field.members))) {
    const m = /^(keyHash|scriptHash)-([0-9a-f]{56})$/.exec(name);
    if (!m || typeof epoch !== "number" || !Number.isSafeInteger(epoch))
      throw new InputError(where, `committee member ${name} must be keyHash-<hex> or scriptHash-<hex> with an epoch`);
    committee.set(m[1] === "scriptHash" ? scriptCredential(m[2]!) : m[2]!, epoch);
  }
  const script = obj(c.constitution).script;
  if (script !== undefined && (typeof script !== "string" || !/^[0-9a-f]{56}$/.test(script)))
    throw new InputError(where, "constitution.script must be a 28-byte script hash in hex");
  const anchor = obj(obj(c.constitution).anchor);
  // Without a well-formed anchor (cardano-node would refuse such a file) the anchor is unknown: GetConstitution is
  // then refused rather than answered with a made-up one.
  const constitutionAnchor: [string, string] | null =
    typeof anchor.url === "string" && typeof anchor.dataHash === "string" && /^[0-9a-f]{64}$/.test(anchor.dataHash)
      ? [anchor.url, anchor.dataHash]
      : null;
  return {
    committee,
    committeeThreshold: field.threshold === undefined ? null : fraction(field.threshold, "committee.threshold", where),
    constitutionPolicy: (script as string | undefined) ?? null,
    constitutionAnchor,
  };
}
