// Answers to the Shelley-family ledger queries (BlockQuery (QueryIfCurrent (Conway query))), encoded as
// cardano-node encodes each result for Conway: protocol parameters in force as Conway's 31-field array, UTxO as a map of
// [txid, ix] to outputs (the legacy array form for outputs without a datum, as the ledger writes them), pools,
// stake and rewards from poolfleet's ledger state. Tags follow ouroboros-consensus's Shelley query codec.
import { hexToBytes } from "../crypto/bytes.ts";
import { rational as rat, type Rational } from "../crypto/rational.ts";
import { asBytes, type CborValue } from "../codec/cbor.ts";
import type { Nonce, NonceState } from "../consensus/nonce.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import type { PoolParams } from "../ledger/certs.ts";
import type { LedgerParams } from "../ledger/params.ts";
import { type LedgerState, poolStakes, type StakeSnapshot } from "../ledger/state.ts";
import type { TxOutput } from "../ledger/tx.ts";
import { valueToCbor } from "../ledger/value.ts";
import type { Point } from "./points.ts";
import { encodePoint } from "./points.ts";
import { credential, enc, hsList, rational, rawArray, rawMap, rawSet } from "./state-query-cbor.ts";
import { currentParams } from "../ledger/param-changes.ts";
import { QueryRefused } from "./local-state-query.ts";
import { encodeGenesisConfig } from "./state-query-genesis.ts";
import { answerGovQuery, GOV_QUERY_NAMES } from "./state-query-gov.ts";

/** The ledger state one acquire holds, with the constants its answers need. */
export interface LedgerQueryView {
  readonly tipPoint: Point;
  readonly ledger: LedgerState;
  readonly params: LedgerParams;
  readonly protocolVersion: readonly [number, number];
  readonly maxBlockHeaderSize: number;
  /** The node's Shelley genesis (GetGenesisConfig). */
  readonly genesis: ShelleyGenesis;
  /** The consensus state at the tip (DebugChainDepState): last slot, opcert counters by pool, nonces. */
  readonly chainDep: {
    readonly lastSlot: bigint | null;
    readonly counters: ReadonlyMap<string, bigint>;
    readonly nonces: NonceState;
  };
}

/** Shelley query tags poolfleet answers (ouroboros-consensus encodeShelleyQuery). */
export const SHELLEY_QUERY_NAMES: Record<number, string> = {
  0: "GetLedgerTip",
  1: "GetEpochNo",
  3: "GetCurrentPParams",
  5: "GetStakeDistribution",
  6: "GetUTxOByAddress",
  7: "GetUTxOWhole",
  10: "GetFilteredDelegationsAndRewardAccounts",
  11: "GetGenesisConfig",
  13: "DebugChainDepState",
  15: "GetUTxOByTxIn",
  16: "GetStakePools",
  17: "GetStakePoolParams",
  19: "GetPoolState",
  20: "GetStakeSnapshots",
  22: "GetStakeDelegDeposits",
  36: "GetPoolDistr2",
  37: "GetStakeDistribution2",
  ...GOV_QUERY_NAMES,
};

// Fallbacks for a network whose config.json names no Alonzo genesis (no Plutus parameters) or no Conway genesis (no
// governance parameters): cardano's mainnet Alonzo/Conway genesis values, so a client decoding the 31 fields finds
// sensible numbers (cardano-node itself needs both files; poolfleet's ledger then refuses scripts and governance
// certificates as unsupported). Every network poolfleet sets up (devnet, config.json with both files) never uses them.
const r = (n: number, d: number): Rational => rat(BigInt(n), BigInt(d));
const MAINNET_BLOCK_EX_UNITS = { mem: 62_000_000n, steps: 20_000_000_000n };
const MAINNET_PLUTUS = {
  costModels: new Map<number, readonly bigint[]>(),
  prices: { mem: r(577, 10000), steps: r(721, 10000000) },
  maxTxExUnits: { mem: 14_000_000n, steps: 10_000_000_000n },
  maxBlockExUnits: MAINNET_BLOCK_EX_UNITS,
  collateralPercentage: 150n,
  maxCollateralInputs: 3,
  minFeeRefScriptCostPerByte: r(15, 1),
};
const MAINNET_GOVERNANCE = {
  govActionLifetime: 6,
  govActionDeposit: 100_000_000_000n,
  drepDeposit: 500_000_000n,
  drepActivity: 20,
  ratification: {
    poolThresholds: [r(51, 100), r(51, 100), r(51, 100), r(51, 100), r(51, 100)],
    drepThresholds: [
      r(67, 100),
      r(67, 100),
      r(6, 10),
      r(75, 100),
      r(6, 10),
      r(67, 100),
      r(67, 100),
      r(67, 100),
      r(75, 100),
      r(67, 100),
    ],
    committeeMinSize: 7,
    committeeMaxTermLength: 146,
  },
};

/** ExUnits as the ledger encodes them (Cardano.Ledger.Plutus.ExUnits): [mem, steps]. */
const exUnits = (u: { readonly mem: bigint; readonly steps: bigint }): Uint8Array => enc([u.mem, u.steps]);

/**
 * CostModels as cardano-ledger encodes them (Cardano.Ledger.Plutus.CostModels `encCBOR . flattenCostModels`): a
 * map from the language's Word8 (PlutusV1 0, V2 1, V3 2) to its parameters as a Haskell list (`encodeList`).
 */
export function encodeCostModels(models: ReadonlyMap<number, readonly bigint[]>): Uint8Array {
  return rawMap(
    [...models].map(([language, values]) => {
      const key = language - 1;
      return [String(key).padStart(3, "0"), enc(key), hsList(values.map((x) => enc(x)))] as const;
    }),
  );
}

/**
 * Conway's PParams as cardano-ledger encodes them (Cardano.Ledger.Conway.PParams, `instance EncCBOR
 * (ConwayPParams Identity era)`): a 31-element array in the CDDL's order, from the parameters in force — the
 * network's genesis parameters with every change governance enacted (ledger/param-changes.ts `currentParams`) —
 * and the ledger's protocol version (the genesis one until a hard fork is enacted).
 */
export function encodeConwayParams(v: LedgerQueryView): Uint8Array {
  const p = currentParams(v.params, v.ledger);
  const plutus = p.plutus ?? MAINNET_PLUTUS;
  const gov = p.governance;
  const ratify = gov?.ratification ?? MAINNET_GOVERNANCE.ratification;
  const governance = gov ?? MAINNET_GOVERNANCE;
  const version = v.ledger.protocolVersion ?? (gov ? [gov.protocolMajor, gov.protocolMinor] : v.protocolVersion);
  const headerSize = v.ledger.paramChanges.get(4);
  return rawArray([
    enc(p.minFeeA),
    enc(p.minFeeB),
    enc(p.maxBlockBodySize),
    enc(p.maxTxSize),
    enc(headerSize ?? v.maxBlockHeaderSize),
    enc(p.keyDeposit),
    enc(p.poolDeposit),
    enc(p.eMax),
    enc(p.nOpt),
    rational(p.a0),
    rational(p.rho),
    rational(p.tau),
    enc([...version]),
    enc(p.minPoolCost),
    enc(p.coinsPerUTxOByte ?? 0n),
    encodeCostModels(plutus.costModels),
    rawArray([rational(plutus.prices.mem), rational(plutus.prices.steps)]),
    exUnits(plutus.maxTxExUnits),
    exUnits(plutus.maxBlockExUnits ?? MAINNET_BLOCK_EX_UNITS),
    enc(p.maxValueSize ?? 0),
    enc(plutus.collateralPercentage),
    enc(plutus.maxCollateralInputs),
    rawArray(ratify.poolThresholds.map(rational)),
    rawArray(ratify.drepThresholds.map(rational)),
    enc(ratify.committeeMinSize),
    enc(ratify.committeeMaxTermLength),
    enc(governance.govActionLifetime),
    enc(governance.govActionDeposit),
    enc(governance.drepDeposit),
    enc(governance.drepActivity),
    rational(plutus.minFeeRefScriptCostPerByte),
  ]);
}

/** A TxOut as Babbage/Conway write it: [address, value] or [address, value, datum hash] without inline data. */
export function encodeTxOut(o: TxOutput): Uint8Array {
  const value = valueToCbor({ coin: o.coin, assets: o.assets });
  const items: CborValue[] = [o.address, value];
  if (o.datumHash) items.push(hexToBytes(o.datumHash));
  return enc(items);
}

/** A UTxO map: [txid, ix] => output, ordered by input. */
function utxoMap(entries: Iterable<[string, TxOutput]>): Uint8Array {
  return rawMap(
    [...entries].map(([ref, out]) => {
      const [txId, ix] = ref.split("#") as [string, string];
      return [`${txId}#${ix.padStart(5, "0")}`, enc([hexToBytes(txId), Number(ix)]), encodeTxOut(out)] as const;
    }),
  );
}

/** The items of a set argument: cbor-x reads tag 258 as a Set; a plain array is accepted too. */
function setArg(value: CborValue | undefined, what: string): CborValue[] {
  if (Array.isArray(value)) return value;
  if ((value as unknown) instanceof Set) return [...(value as unknown as Set<CborValue>)];
  throw new QueryRefused(`${what} must be a set`);
}

/** StrictMaybe (Set PoolId) as a list: [] means every pool, [set] those pools. */
function poolFilter(value: CborValue | undefined, what: string): Set<string> | null {
  const items = setArg(value, what);
  if (items.length === 0) return null;
  return new Set(setArg(items[0], what).map((p) => hex(p, `${what} pool id`, 28)));
}

const hex = (value: CborValue, what: string, length?: number): string => {
  try {
    return Buffer.from(asBytes(value, what, length)).toString("hex");
  } catch (error) {
    throw new QueryRefused((error as Error).message);
  }
};

function encodePoolParams(p: PoolParams): Uint8Array {
  return rawArray([
    enc(hexToBytes(p.operator)),
    enc(hexToBytes(p.vrfKeyHash)),
    enc(p.pledge),
    enc(p.cost),
    rational(p.margin),
    enc(hexToBytes(p.rewardAccount)),
    rawSet(p.owners.map((o) => enc(hexToBytes(o)))),
    enc(p.relays),
    enc(p.metadata),
  ]);
}

const poolMap = <T>(pools: Iterable<[string, T]>, value: (v: T) => Uint8Array): Uint8Array =>
  rawMap([...pools].map(([id, v]) => [id, enc(hexToBytes(id)), value(v)] as const));

/** A nonce as the ledger writes it: NeutralNonce [0], Nonce h [1, h]. */
const nonce = (n: Nonce): Uint8Array => enc(n === null ? [0] : [1, n]);

/** Praos's ChainDepState, version-wrapped: [0, [lastSlot, counters, evolving, candidate, epoch, previous, lab, lastEpochBlock]]. */
function encodePraosState(c: LedgerQueryView["chainDep"]): Uint8Array {
  const n = c.nonces;
  return rawArray([
    enc(0),
    rawArray([
      enc(c.lastSlot === null ? [0] : [1, c.lastSlot]),
      poolMap(c.counters, (v) => enc(v)),
      nonce(n.evolving),
      nonce(n.candidate),
      nonce(n.epochNonce),
      nonce(n.previousEpochNonce),
      nonce(n.lab),
      nonce(n.lastEpochBlock),
    ]),
  ]);
}

/** Key-hash credentials of a set argument, as hex. */
function keyCredentials(value: CborValue | undefined, what: string): string[] {
  return setArg(value, what).map((c) => {
    const pair = c as CborValue[];
    if (!Array.isArray(pair) || pair[0] !== 0) throw new QueryRefused("only key-hash stake credentials are held");
    return hex(pair[1]!, "stake credential", 28);
  });
}

const total = (snapshot: StakeSnapshot): bigint => [...snapshot.stake.values()].reduce((a, b) => a + b, 0n);

/**
 * The ledger's PoolDistr as V21+ queries get it: [{pool: [fraction, stake (compact coin), VRF key hash]}, total
 * active stake], the distribution in force (from the "set" snapshot), restricted to `only` when given.
 */
function poolDistr2(l: LedgerState, only: ReadonlySet<string> | null): Uint8Array {
  const stakes = poolStakes(l.snapshots.set);
  const pools = [...l.poolDistr].filter(([id]) => only === null || only.has(id));
  const entry = (d: { stake: Rational; vrfKeyHash: Uint8Array }, id: string) =>
    rawArray([rational(d.stake), enc(stakes.get(id) ?? 0n), enc(d.vrfKeyHash)]);
  const map = rawMap(pools.map(([id, d]) => [id, enc(hexToBytes(id)), entry(d, id)] as const));
  return rawArray([map, enc(total(l.snapshots.set))]);
}

/** The result (before the era wrapper) of Shelley query `tag` with its arguments. Throws QueryRefused. */
export function answerLedgerQuery(v: LedgerQueryView, tag: number, args: CborValue[], version: number): Uint8Array {
  const l = v.ledger;
  switch (tag) {
    case 0:
      return encodePoint(v.tipPoint);
    case 1:
      return enc(l.epoch);
    case 3:
      return encodeConwayParams(v);
    case 5:
      return poolMap(l.poolDistr, (d) => rawArray([rational(d.stake), enc(d.vrfKeyHash)]));
    case 6: {
      const wanted = new Set(setArg(args[0], "GetUTxOByAddress addresses").map((a) => hex(a, "address")));
      return utxoMap([...l.utxo].filter(([, o]) => wanted.has(Buffer.from(o.address).toString("hex"))));
    }
    case 7:
      return utxoMap(l.utxo);
    case 10: {
      const creds = keyCredentials(args[0], "GetFilteredDelegationsAndRewardAccounts credentials");
      const held = creds.flatMap((c) => {
        const account = l.accounts.get(c);
        return account ? [[c, account] as const] : [];
      });
      const delegations = rawMap(
        held.flatMap(([c, a]) => (a.pool === null ? [] : [[...credential(c), enc(hexToBytes(a.pool))] as const])),
      );
      const rewards = rawMap(held.map(([c, a]) => [...credential(c), enc(a.reward)] as const));
      return rawArray([delegations, rewards]);
    }
    case 11:
      return encodeGenesisConfig(v.genesis, version);
    case 13:
      return encodePraosState(v.chainDep);
    case 15: {
      const wanted = setArg(args[0], "GetUTxOByTxIn inputs").map((i) => {
        const pair = i as CborValue[];
        if (!Array.isArray(pair) || pair.length !== 2) throw new QueryRefused("a TxIn is [txid, index]");
        const ix = pair[1];
        if (typeof ix !== "number" || !Number.isInteger(ix) || ix < 0)
          throw new QueryRefused("a TxIn index is a number");
        return `${hex(pair[0]!, "TxIn id", 32)}#${ix}`;
      });
      return utxoMap(wanted.flatMap((ref) => (l.utxo.has(ref) ? [[ref, l.utxo.get(ref)!] as [string, TxOutput]] : [])));
    }
    case 16:
      return rawSet([...l.pools.keys()].map((id) => enc(hexToBytes(id))));
    case 17: {
      const ids = new Set(setArg(args[0], "GetStakePoolParams pool ids").map((p) => hex(p, "pool id", 28)));
      return poolMap(
        [...l.pools].filter(([id]) => ids.has(id)),
        encodePoolParams,
      );
    }
    case 19: {
      const only = poolFilter(args[0], "GetPoolState pool ids");
      const keep = <T>(m: Map<string, T>) => [...m].filter(([id]) => only === null || only.has(id));
      return rawArray([
        poolMap(keep(l.pools), encodePoolParams),
        poolMap(keep(l.futurePools), encodePoolParams),
        poolMap(keep(l.retiring), (e) => enc(e)),
        poolMap(keep(l.poolDeposits), (d) => enc(d)),
      ]);
    }
    case 20: {
      const only = poolFilter(args[0], "GetStakeSnapshots pool ids");
      const { mark, set, go } = l.snapshots;
      const [m, s, g] = [poolStakes(mark), poolStakes(set), poolStakes(go)];
      const ids = new Set([...l.pools.keys(), ...m.keys(), ...s.keys(), ...g.keys()]);
      const pools = [...ids].filter((id) => (only === null ? l.pools.has(id) : only.has(id)));
      const stakes = pools.map((id) => [id, [m.get(id) ?? 0n, s.get(id) ?? 0n, g.get(id) ?? 0n]] as [string, bigint[]]);
      return rawArray([poolMap(stakes, (x) => enc(x)), enc(total(mark)), enc(total(set)), enc(total(go))]);
    }
    case 22: {
      const creds = keyCredentials(args[0], "GetStakeDelegDeposits credentials");
      const held = creds.flatMap((c) =>
        l.accounts.has(c) ? [[...credential(c), enc(l.accounts.get(c)!.deposit)] as const] : [],
      );
      return rawMap(held);
    }
    case 36:
      return poolDistr2(l, poolFilter(args[0], "GetPoolDistr2 pool ids"));
    case 37:
      // cardano-node's V21+ replacement for GetStakeDistribution (5): the same pools and fractions as our answer
      // to 5, in the new ledger PoolDistr shape that GetPoolDistr2 has too (cardano-cli's `query
      // stake-distribution` sends 37 once V21 is negotiated).
      return poolDistr2(l, null);
    default:
      if (tag in GOV_QUERY_NAMES) return answerGovQuery(l, tag, args);
      throw new QueryRefused(`Shelley query ${tag} is not supported by poolfleet`);
  }
}
