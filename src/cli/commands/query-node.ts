// cardano-cli's node queries over node-to-client: `query tip`, `query protocol-parameters`, `query utxo`,
// `query stake-pools`, `query stake-snapshot` and `query tx-mempool info|next-tx|tx-exists`, with cardano-cli's flags (--socket-path or
// CARDANO_NODE_SOCKET_PATH, --testnet-magic or --mainnet) and its JSON field names. Every answer comes from the
// node over the socket (local state-query and local tx-monitor), decoded from the wire as cardano-cli would.
import { utcTimeOf } from "../genesis-from-node.ts";
import { bech32 } from "@scure/base";
import { bytesToHex, hexToBytes } from "../../crypto/bytes.ts";
import type { CborValue } from "../../codec/cbor.ts";
import { InputError } from "../../formats/errors.ts";
import { DREP_THRESHOLDS, POOL_THRESHOLDS } from "../../ledger/genesis-params.ts";
import { decodeTx } from "../../ledger/tx.ts";
import type { Command } from "../command.ts";
import { conwayQuery, currentEraResult, NODE_FLAGS, nodeTarget, withLocalNode } from "../local-node.ts";

export const num = (v: CborValue): number => Number(v as number | bigint);
/** A tag-30 rational (cbor-x reads unknown tags as { tag, value }) as a JSON number. */
export const ratio = (v: CborValue): number => {
  const [n, d] = (v as unknown as { value: [number | bigint, number | bigint] }).value;
  return Number(n) / Number(d);
};
export const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 4);

export const queryTip: Command = {
  path: ["query", "tip"],
  summary: "show the node's tip: block, epoch, era, hash, slot, slot in epoch, sync progress (cardano-cli's JSON)",
  flags: NODE_FLAGS,
  example: "poolfleet-cli query tip --socket-path devnet/relay1/node.socket --testnet-magic 42",
  async run(flags, io) {
    const [start, blockNo, point, epochAnswer, history] = await withLocalNode(nodeTarget(flags), (n) =>
      n.query([1], [2], [3], conwayQuery(1), [0, [2, [0]]]),
    );
    const startMs = utcTimeOf(start!).getTime();
    const eras = history as [CborValue[], CborValue, CborValue[]][];
    const [[startTime, startSlot, startEpoch], , [epochLength, slotLengthMs]] = eras.at(-1)! as [
      CborValue[],
      CborValue,
      CborValue[],
    ];
    const [slot, hash] = (point as [number | bigint, Uint8Array] | []).length
      ? (point as [number, Uint8Array])
      : [0, null];
    const epoch = num(currentEraResult(epochAnswer));
    const firstSlot = num(startSlot!) + (epoch - num(startEpoch!)) * num(epochLength!);
    const tipMs =
      startMs +
      Number(BigInt(startTime as number | bigint) / 1_000_000_000n) +
      (num(slot) - num(startSlot!)) * num(slotLengthMs!);
    const progress = Math.min(100, ((tipMs - startMs) / Math.max(1, Date.now() - startMs)) * 100);
    io.out(
      json({
        block: num((blockNo as CborValue[])[1] ?? 0),
        epoch,
        era: "Conway",
        hash: hash ? bytesToHex(hash) : null,
        slot: num(slot),
        slotInEpoch: num(slot) - firstSlot,
        slotsToEpochEnd: firstSlot + num(epochLength!) - num(slot),
        syncProgress: progress.toFixed(2),
      }),
    );
    return 0;
  },
};

const named = (names: string[], values: CborValue) =>
  Object.fromEntries(names.map((name, i) => [name, ratio((values as CborValue[])[i]!)]).sort());

/** Conway's 31 protocol parameters in cardano-cli's JSON (its field names, sorted as it prints them). */
export function protocolParametersJson(p: CborValue[]): Record<string, unknown> {
  const [mem, steps] = p[16] as CborValue[];
  const units = (v: CborValue) => ({ memory: num((v as CborValue[])[0]!), steps: num((v as CborValue[])[1]!) });
  const [major, minor] = p[12] as CborValue[];
  const costModels = Object.fromEntries(
    [...(p[15] as Map<CborValue, CborValue>)].map(([k, v]) => [`PlutusV${num(k) + 1}`, v]),
  );
  const out: Record<string, unknown> = {
    collateralPercentage: num(p[20]!),
    committeeMaxTermLength: num(p[25]!),
    committeeMinSize: num(p[24]!),
    costModels,
    dRepActivity: num(p[29]!),
    dRepDeposit: num(p[28]!),
    dRepVotingThresholds: named(DREP_THRESHOLDS, p[23]!),
    executionUnitPrices: { priceMemory: ratio(mem!), priceSteps: ratio(steps!) },
    govActionDeposit: num(p[27]!),
    govActionLifetime: num(p[26]!),
    maxBlockBodySize: num(p[2]!),
    maxBlockExecutionUnits: units(p[18]!),
    maxBlockHeaderSize: num(p[4]!),
    maxCollateralInputs: num(p[21]!),
    maxTxExecutionUnits: units(p[17]!),
    maxTxSize: num(p[3]!),
    maxValueSize: num(p[19]!),
    minFeeRefScriptCostPerByte: ratio(p[30]!),
    minPoolCost: num(p[13]!),
    monetaryExpansion: ratio(p[10]!),
    poolPledgeInfluence: ratio(p[9]!),
    poolRetireMaxEpoch: num(p[7]!),
    poolVotingThresholds: named(POOL_THRESHOLDS, p[22]!),
    protocolVersion: { major: num(major!), minor: num(minor!) },
    stakeAddressDeposit: num(p[5]!),
    stakePoolDeposit: num(p[6]!),
    stakePoolTargetNum: num(p[8]!),
    treasuryCut: ratio(p[11]!),
    txFeeFixed: num(p[1]!),
    txFeePerByte: num(p[0]!),
    utxoCostPerByte: num(p[14]!),
  };
  return out;
}

export const queryProtocolParameters: Command = {
  path: ["query", "protocol-parameters"],
  summary: "show the node's current protocol parameters (cardano-cli's JSON)",
  flags: NODE_FLAGS,
  example: "poolfleet-cli query protocol-parameters --socket-path devnet/relay1/node.socket --testnet-magic 42",
  async run(flags, io) {
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(3)));
    io.out(json(protocolParametersJson(currentEraResult(answer!) as CborValue[])));
    return 0;
  },
};

/** An address from bech32 (addr1..., addr_test1...) or hex; bytes either way. */
function addressBytes(text: string): Uint8Array {
  if (/^[0-9a-f]+$/i.test(text)) return hexToBytes(text.toLowerCase());
  try {
    return Uint8Array.from(bech32.fromWords(bech32.decode(text as `${string}1${string}`, false).words));
  } catch (error) {
    throw new InputError("--address", `${text} is not a bech32 or hex address (${(error as Error).message})`);
  }
}

/** Shelley-family addresses in bech32 (network id 1 mainnet); Byron ones stay hex. */
function addressText(bytes: Uint8Array): string {
  const header = bytes[0]! >> 4;
  if (header > 7) return bytesToHex(bytes);
  return bech32.encode((bytes[0]! & 0x0f) === 1 ? "addr" : "addr_test", bech32.toWords(bytes), false);
}

function valueJson(value: CborValue): Record<string, unknown> {
  if (!Array.isArray(value)) return { lovelace: num(value) };
  const out: Record<string, unknown> = { lovelace: num(value[0]!) };
  for (const [policy, names] of value[1] as Map<Uint8Array, Map<Uint8Array, CborValue>>)
    out[bytesToHex(policy)] = Object.fromEntries([...names].map(([n, q]) => [bytesToHex(n), num(q)]));
  return out;
}

/** A TxOut (legacy array or Babbage map) in cardano-cli's UTxO JSON. */
function txOutJson(out: CborValue): Record<string, unknown> {
  const get = (k: number) => (Array.isArray(out) ? out[k] : (out as Map<CborValue, CborValue>).get(k));
  const datum = Array.isArray(out) ? undefined : (get(2) as CborValue[] | undefined);
  const datumHash = Array.isArray(out)
    ? (out[2] as Uint8Array | undefined)
    : datum?.[0] === 0
      ? (datum[1] as Uint8Array)
      : undefined;
  return {
    address: addressText(get(0) as Uint8Array),
    datum: null,
    datumhash: datumHash ? bytesToHex(datumHash) : null,
    inlineDatum: null,
    referenceScript: null,
    value: valueJson(get(1)!),
  };
}

export const queryUtxo: Command = {
  path: ["query", "utxo"],
  summary: "show the UTxO at an address, at a transaction input, or all of it (cardano-cli's JSON)",
  flags: {
    ...NODE_FLAGS,
    address: { type: "string", value: "ADDRESS", description: "bech32 (or hex) address" },
    "tx-in": { type: "string", value: "TXID#IX", description: "one transaction input" },
    "whole-utxo": { type: "boolean", description: "the whole UTxO" },
    "output-json": { type: "boolean", description: "print JSON (the default)" },
  },
  example: "poolfleet-cli query utxo --address addr_test1... --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const address = flags.optionalString("address");
    const txIn = flags.optionalString("tx-in");
    const whole = flags.boolean("whole-utxo");
    if ([address, txIn, whole || undefined].filter((x) => x !== undefined).length !== 1)
      throw new InputError("query utxo", "give exactly one of --address, --tx-in and --whole-utxo");
    let query: CborValue;
    if (address !== undefined) query = conwayQuery(6, [addressBytes(address)]);
    else if (txIn !== undefined) {
      const m = /^([0-9a-fA-F]{64})#(\d+)$/.exec(txIn);
      if (!m) throw new InputError("--tx-in", `${txIn} is not TXID#INDEX`);
      query = conwayQuery(15, [[hexToBytes(m[1]!.toLowerCase()), Number(m[2])]]);
    } else query = conwayQuery(7);
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(query));
    const utxo = currentEraResult(answer!) as Map<CborValue[], CborValue>;
    const entries = [...utxo].map(([[id, ix], out]) => [`${bytesToHex(id as Uint8Array)}#${num(ix!)}`, txOutJson(out)]);
    io.out(json(Object.fromEntries(entries.sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)))));
    return 0;
  },
};

/** A pool id from bech32 (pool1...) or 56 hex digits. */
export function poolIdBytes(text: string): Uint8Array {
  if (/^[0-9a-fA-F]{56}$/.test(text)) return hexToBytes(text.toLowerCase());
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`);
    const bytes = Uint8Array.from(bech32.fromWords(words));
    if (prefix === "pool" && bytes.length === 28) return bytes;
  } catch {
    // reported below
  }
  throw new InputError("--stake-pool-id", `${text} is not a pool id (pool1... or 56 hex digits)`);
}

export const queryStakePools: Command = {
  path: ["query", "stake-pools"],
  summary: "list the registered stake pools' ids (bech32)",
  flags: NODE_FLAGS,
  example: "poolfleet-cli query stake-pools --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(16)));
    const ids = [...(currentEraResult(answer!) as unknown as Set<Uint8Array>)];
    io.out(json(ids.map((id) => bech32.encode("pool", bech32.toWords(id))).sort()));
    return 0;
  },
};

export const queryStakeSnapshot: Command = {
  path: ["query", "stake-snapshot"],
  summary: "show the mark, set and go stake of a pool (or all) and the totals (cardano-cli's JSON)",
  flags: {
    ...NODE_FLAGS,
    "stake-pool-id": { type: "string", value: "POOL", description: "pool id, bech32 or hex" },
    "all-stake-pools": { type: "boolean", description: "every pool" },
  },
  example: "poolfleet-cli query stake-snapshot --all-stake-pools --socket-path node.socket --testnet-magic 42",
  async run(flags, io) {
    const pool = flags.optionalString("stake-pool-id");
    if ((pool === undefined) === !flags.boolean("all-stake-pools"))
      throw new InputError("query stake-snapshot", "give either --stake-pool-id or --all-stake-pools");
    const filter = pool === undefined ? [] : [[poolIdBytes(pool)]];
    const [answer] = await withLocalNode(nodeTarget(flags), (n) => n.query(conwayQuery(20, filter)));
    const [pools, mark, set, go] = currentEraResult(answer!) as [Map<Uint8Array, CborValue[]>, ...CborValue[]];
    const stake = ([m, s, g]: CborValue[]) => ({ stakeGo: num(g!), stakeMark: num(m!), stakeSet: num(s!) });
    io.out(
      json({
        pools: Object.fromEntries([...pools].map(([id, v]) => [bytesToHex(id), stake(v)])),
        total: stake([mark!, set!, go!]),
      }),
    );
    return 0;
  },
};

const mempoolCommand = (
  verb: string,
  summary: string,
  positionals: Command["positionals"],
  answer: (
    ask: Parameters<Parameters<typeof withLocalNode>[1]>[0],
    slot: number,
    txId: string | undefined,
  ) => Promise<Record<string, unknown>>,
): Command => ({
  path: ["query", "tx-mempool", verb],
  summary,
  flags: NODE_FLAGS,
  ...(positionals && { positionals }),
  example: `poolfleet-cli query tx-mempool ${verb}${positionals ? " TXID" : ""} --socket-path node.socket --testnet-magic 42`,
  async run(flags, io) {
    const txId = positionals ? flags.positional(0) : undefined;
    if (txId !== undefined && !/^[0-9a-f]{64}$/.test(txId))
      throw new InputError("TXID", `${txId} is not 64 hex digits`);
    const out = await withLocalNode(nodeTarget(flags), async (n) => {
      const acquired = await n.monitor({ type: "MsgAcquire" });
      const slot = acquired.type === "MsgAcquired" ? Number(acquired.slot) : 0;
      const result = await answer(n, slot, txId);
      n.releaseMempool();
      return result;
    });
    io.out(json(out));
    return 0;
  },
});

export const queryTxMempoolInfo = mempoolCommand(
  "info",
  "show the mempool's capacity, size and transaction count",
  undefined,
  async (n, slot) => {
    const reply = await n.monitor({ type: "MsgGetSizes" });
    if (reply.type !== "MsgReplyGetSizes") throw new Error(`unexpected ${reply.type}`);
    return {
      capacityInBytes: reply.sizes.capacity,
      numberOfTxs: reply.sizes.count,
      sizeInBytes: reply.sizes.size,
      slot,
    };
  },
);

export const queryTxMempoolNextTx = mempoolCommand(
  "next-tx",
  "show the id of the mempool's oldest transaction",
  undefined,
  async (n, slot) => {
    const reply = await n.monitor({ type: "MsgNextTx" });
    if (reply.type !== "MsgReplyNextTx") throw new Error(`unexpected ${reply.type}`);
    return { nextTx: reply.tx ? bytesToHex(decodeTx(reply.tx.bytes).body.id) : null, slot };
  },
);

export const queryTxMempoolTxExists = mempoolCommand(
  "tx-exists",
  "show whether a transaction is in the mempool",
  [{ name: "TXID", description: "the transaction id (hex)" }],
  async (n, slot, txId) => {
    const reply = await n.monitor({ type: "MsgHasTx", txId: hexToBytes(txId!) });
    if (reply.type !== "MsgReplyHasTx") throw new Error(`unexpected ${reply.type}`);
    return { exists: reply.has, slot, txId };
  },
);
