// Protocol parameters as governance leaves them: the parameters the ledger is configured with, overlaid with
// the parameter changes enacted so far (cardano-ledger Conway PParams.hs `applyPPUpdates`, by ConwayPParams
// update key) and the protocol version of the last enacted hard fork (Rules/Enact.hs). Cost models merge by
// language, as Conway's `updateCostModels` does. Every rule reads its parameters through `currentParams`.
import type { CborValue } from "../codec/cbor.ts";
import { rational, type Rational } from "../crypto/rational.ts";
import type { GovernanceParams, LedgerParams, PlutusParams, RatificationParams } from "./params.ts";
import type { LedgerState } from "./state.ts";

const num = (v: CborValue): number => Number(v as number | bigint);
const big = (v: CborValue): bigint => BigInt(v as number | bigint);
const ratio = (v: CborValue): Rational => {
  const t = v as unknown as { tag?: number; value?: [CborValue, CborValue] };
  if (t?.tag !== 30 || !Array.isArray(t.value)) throw new Error("a parameter change's rational must be tag 30");
  return rational(big(t.value[0]), big(t.value[1]));
};

/** `base` with `update` applied: later values win, cost models merge by language. */
export function mergeParamChanges(
  base: ReadonlyMap<number, CborValue>,
  update: ReadonlyMap<number, CborValue>,
): Map<number, CborValue> {
  const out = new Map(base);
  for (const [k, v] of update) {
    const key = Number(k);
    const old = out.get(key);
    if (key === 18 && old instanceof Map && v instanceof Map) out.set(key, new Map([...old, ...v]));
    else out.set(key, v);
  }
  return out;
}

/** `base` with `changes` and the protocol version `pv` applied. */
export function overlayParams(
  base: LedgerParams,
  changes: ReadonlyMap<number, CborValue>,
  pv: readonly [number, number] | null,
): LedgerParams {
  const c = (k: number) => changes.get(k);
  const has = (k: number) => changes.has(k);
  let plutus: PlutusParams | undefined = base.plutus;
  if (plutus) {
    const models = new Map(plutus.costModels);
    if (c(18) instanceof Map)
      for (const [lang, m] of c(18) as Map<CborValue, CborValue[]>) models.set(num(lang) + 1, m.map(big));
    plutus = {
      ...plutus,
      protocolMajor: pv ? pv[0] : plutus.protocolMajor,
      costModels: models,
      ...(has(19) && { prices: { mem: ratio((c(19) as CborValue[])[0]!), steps: ratio((c(19) as CborValue[])[1]!) } }),
      ...(has(20) && {
        maxTxExUnits: { mem: big((c(20) as CborValue[])[0]!), steps: big((c(20) as CborValue[])[1]!) },
      }),
      ...(has(21) && {
        maxBlockExUnits: { mem: big((c(21) as CborValue[])[0]!), steps: big((c(21) as CborValue[])[1]!) },
      }),
      ...(has(23) && { collateralPercentage: big(c(23)!) }),
      ...(has(24) && { maxCollateralInputs: num(c(24)!) }),
      ...(has(33) && { minFeeRefScriptCostPerByte: ratio(c(33)!) }),
    };
  }
  let governance: GovernanceParams | undefined = base.governance;
  if (governance) {
    const r = governance.ratification;
    const ratification: RatificationParams | undefined = r && {
      poolThresholds: has(25) ? (c(25) as CborValue[]).map(ratio) : r.poolThresholds,
      drepThresholds: has(26) ? (c(26) as CborValue[]).map(ratio) : r.drepThresholds,
      committeeMinSize: has(27) ? num(c(27)!) : r.committeeMinSize,
      committeeMaxTermLength: has(28) ? num(c(28)!) : r.committeeMaxTermLength,
    };
    governance = {
      ...governance,
      ...(pv && { protocolMajor: pv[0], protocolMinor: pv[1] }),
      ...(has(29) && { govActionLifetime: num(c(29)!) }),
      ...(has(30) && { govActionDeposit: big(c(30)!) }),
      ...(has(31) && { drepDeposit: big(c(31)!) }),
      ...(has(32) && { drepActivity: num(c(32)!) }),
      ...(ratification && { ratification }),
    };
  }
  return {
    ...base,
    ...(has(0) && { minFeeA: big(c(0)!) }),
    ...(has(1) && { minFeeB: big(c(1)!) }),
    ...(has(2) && { maxBlockBodySize: num(c(2)!) }),
    ...(has(3) && { maxTxSize: num(c(3)!) }),
    ...(has(5) && { keyDeposit: big(c(5)!) }),
    ...(has(6) && { poolDeposit: big(c(6)!) }),
    ...(has(7) && { eMax: num(c(7)!) }),
    ...(has(8) && { nOpt: num(c(8)!) }),
    ...(has(9) && { a0: ratio(c(9)!) }),
    ...(has(10) && { rho: ratio(c(10)!) }),
    ...(has(11) && { tau: ratio(c(11)!) }),
    ...(has(16) && { minPoolCost: big(c(16)!) }),
    ...(has(17) && { coinsPerUTxOByte: big(c(17)!) }),
    ...(has(22) && { maxValueSize: num(c(22)!) }),
    ...(plutus && { plutus }),
    ...(governance && { governance }),
  };
}

const cache = new WeakMap<
  LedgerParams,
  { changes: ReadonlyMap<number, CborValue>; pv: readonly [number, number] | null; params: LedgerParams }
>();

/** The parameters in force: `base` (genesis or configuration) with what governance enacted in `state`. */
export function currentParams(base: LedgerParams, state: LedgerState): LedgerParams {
  if (state.paramChanges.size === 0 && state.protocolVersion === null) return base;
  const hit = cache.get(base);
  if (hit && hit.changes === state.paramChanges && hit.pv === state.protocolVersion) return hit.params;
  const params = overlayParams(base, state.paramChanges, state.protocolVersion);
  cache.set(base, { changes: state.paramChanges, pv: state.protocolVersion, params });
  return params;
}
