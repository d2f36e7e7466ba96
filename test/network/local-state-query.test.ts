// Local state-query over a real Unix socket against a devnet ledger: acquire at the tip, the queries answered
// with cardano-node's encoding (system start, chain point and block number, era, era history, epoch, protocol
// parameters, UTxO by address and by input, pools, pool parameters and state, stake distribution and snapshots,
// delegations and rewards, an era mismatch; the genesis config in the layout of the negotiated version; DRep
// states, vote delegatees and the treasury and reserves), acquires refused for points not held, answers that stay those of
// the acquired state while the ledger moves, and unknown queries or malformed messages closing the connection.
// The byte layouts are checked independently by gouroboros in test/network/interop-gouroboros-lsq.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "../../src/crypto/bytes.ts";
import { type CborValue, decodeCbor, encodeCbor } from "../../src/codec/cbor.ts";
import type { ChainState } from "../../src/consensus/chain-state.ts";
import { initialNonceState, tickToEpoch } from "../../src/consensus/nonce.ts";
import { createDevnet, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import { ledgerParamsFromGenesis } from "../../src/ledger/params.ts";
import { genesisLedgerState } from "../../src/ledger/state.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { handshakeSpec } from "../../src/network/handshake.ts";
import { N2C_PROTOCOL } from "../../src/network/limits.ts";
import { type AcquireTarget, localStateQuerySpec } from "../../src/network/local-state-query.ts";
import { Mux } from "../../src/network/mux.ts";
import { encodeN2cVersionData, N2C_VERSION_BIT, N2C_VERSIONS } from "../../src/network/n2c-handshake.ts";
import { listenLocal, listenLocalTcp } from "../../src/network/n2c.ts";
import { Driver } from "../../src/network/protocol.ts";
import { message } from "../../src/network/wire.ts";
import { stateQueryAcquire } from "../../src/node/state-query-view.ts";
import { wallet } from "../helpers/ledger.ts";
import { chain, MAGIC, sdu } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-lsq-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const start = new Date("2026-03-01T12:34:56Z");
const devnet = createDevnet({ ...DEVNET_DEFAULTS, epochLength: 100, pools: 2, startTime: start });
const genesis = parseShelleyGenesis(Uint8Array.from(Buffer.from(devnet.shelleyGenesis)), "test genesis");
const ledgerParams = ledgerParamsFromGenesis(genesis, "test genesis", 4310n, 5000);
const ledger = genesisLedgerState(genesis, ledgerParams);
const owners = devnet.pools.map((p) => wallet(p.paymentSeed, p.stakeSeed));
const poolIds = devnet.pools.map((p) => bytesToHex(p.poolId)).sort();
const source = new MemoryChainSource(chain.map((b) => b.bytes));
const tip = chain.at(-1)!.header;
const warnings: string[] = [];
const log = { info() {}, debug() {}, warn: (_o: unknown, m?: string) => void warnings.push(m ?? "") };
const chainState: ChainState = {
  tip: { slot: tip.body.slot, blockNo: tip.body.blockNumber, hash: tip.hash },
  counters: new Map([[poolIds[0]!, 3n]]),
  // Into epoch 1 with a candidate of its own: the epoch nonce becomes it, the previous one is the genesis hash.
  nonces: {
    ...tickToEpoch({ ...initialNonceState(genesis.hash), candidate: new Uint8Array(32).fill(5) }, 1),
    lab: new Uint8Array(32).fill(9),
  },
};
const acquire = stateQueryAcquire({
  network: { genesis, ledgerParams },
  source,
  ledger: () => ledger,
  chain: () => chainState,
});
let n = 0;

async function client(tcp = false, versions: readonly number[] = N2C_VERSIONS) {
  const path = join(dir, `n${++n}.socket`);
  const services = { magic: MAGIC, source, log, submitTx: () => ({ accepted: true }) as const, acquire };
  const server = tcp ? await listenLocalTcp("127.0.0.1", 0, services) : await listenLocal(path, services);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = tcp
      ? connect({ host: "127.0.0.1", port: server.port }, () => resolve(s))
      : connect({ path }, () => resolve(s));
    s.once("error", reject);
  });
  const mux = new Mux(socket, { label: "test client" });
  const hs = new Driver(mux.channel(0, "initiator", 5760), handshakeSpec, "client", () => 5000);
  const data = encodeN2cVersionData({ networkMagic: MAGIC, query: false });
  hs.send({ type: "MsgProposeVersions", versions: new Map(versions.map((v) => [v, data] as const)) });
  assert.equal((await hs.recv()).type, "MsgAcceptVersion");
  const lsq = new Driver(
    mux.channel(N2C_PROTOCOL.localStateQuery, "initiator", 10_000_000),
    localStateQuerySpec,
    "client",
    () => 5000,
  );
  const query = async (q: CborValue): Promise<CborValue> => {
    lsq.send({ type: "MsgQuery", query: encodeCbor(q) });
    const reply = await lsq.recv();
    assert.equal(reply.type, "MsgResult");
    return decodeCbor((reply as { result: Uint8Array }).result);
  };
  const acquireAt = async (target: AcquireTarget, re = false) => {
    lsq.send({ type: re ? "MsgReAcquire" : "MsgAcquire", target });
    return lsq.recv();
  };
  return { server, socket, mux, lsq, query, acquireAt };
}

const conway = (q: CborValue[]): CborValue => [0, [0, [6, q]]];
const tagValue = (v: unknown) => (v as { value: unknown }).value;
const setItems = (v: unknown) => [...(v as Set<Uint8Array>)].map(bytesToHex);

describe("local state-query", () => {
  it("answers the chain, time, era and ledger queries at the tip with cardano-node's encoding", async () => {
    const c = await client();
    try {
      assert.equal((await c.acquireAt("tip")).type, "MsgAcquired");
      // SystemStart: [year, day of the year, picoseconds of the day]; 1 March 2026 is day 60.
      assert.deepEqual(await c.query([1]), [2026, 60, BigInt(12 * 3600 + 34 * 60 + 56) * 10n ** 12n]);
      assert.deepEqual(await c.query([2]), [1, Number(tip.body.blockNumber)]);
      const point = (await c.query([3])) as [number, Uint8Array];
      assert.equal(BigInt(point[0]), tip.body.slot);
      assert.equal(bytesToHex(point[1]), bytesToHex(tip.hash));
      assert.equal(await c.query([0, [2, [1]]]), 6);
      assert.deepEqual(await c.query(conway([1])), [0]);

      const history = (await c.query([0, [2, [0]]])) as CborValue[][];
      assert.equal(history.length, 7, "Byron to Conway");
      const [start0, end, params] = history[6]!;
      assert.deepEqual(start0, [0, 0, 0]);
      const window = Math.ceil((3 * genesis.securityParam) / 0.1 - 1e-9);
      assert.deepEqual(params, [100, genesis.slotLengthMs, [0, window, [0]], window]);
      const endEpoch = Math.ceil((Number(tip.body.slot) + window) / 100);
      assert.deepEqual((end as CborValue[]).slice(1), [endEpoch * 100, endEpoch]);

      const pp = (await c.query(conway([3]))) as CborValue[];
      const [ppInner] = pp as [CborValue[]];
      assert.equal(ppInner.length, 31);
      assert.deepEqual(ppInner.slice(0, 9).map(Number), [
        Number(ledgerParams.minFeeA),
        Number(ledgerParams.minFeeB),
        ledgerParams.maxBlockBodySize,
        ledgerParams.maxTxSize,
        1100,
        Number(ledgerParams.keyDeposit),
        Number(ledgerParams.poolDeposit),
        ledgerParams.eMax,
        ledgerParams.nOpt,
      ]);
      assert.deepEqual(tagValue(ppInner[10]), [Number(ledgerParams.rho.num), Number(ledgerParams.rho.den)]);
      assert.deepEqual(ppInner[12], [10, 0]);
      assert.equal(ppInner[14], 4310);

      // UTxO at the first owner's address: its genesis funds, keyed [txid, 0].
      const [byAddress] = (await c.query(conway([6, [owners[0]!.address]]))) as [Map<CborValue, CborValue>];
      assert.equal(byAddress.size, 1);
      const [[key, out]] = [...byAddress] as [[CborValue[], CborValue[]]];
      const ref = `${bytesToHex(key[0] as Uint8Array)}#${key[1]}`;
      const held = ledger.utxo.get(ref);
      assert.ok(held, `the key ${ref} is a ledger input`);
      assert.equal(bytesToHex(out[0] as Uint8Array), bytesToHex(owners[0]!.address));
      assert.equal(BigInt(out[1] as number), held.coin);
      const [byInput] = (await c.query(
        conway([
          15,
          [
            [key[0]!, 0],
            [new Uint8Array(32), 0],
          ],
        ]),
      )) as [Map<unknown, unknown>];
      assert.equal(byInput.size, 1, "only inputs the ledger holds");

      assert.deepEqual(setItems(((await c.query(conway([16]))) as CborValue[])[0]).sort(), poolIds);
      const [distr] = (await c.query(conway([5]))) as [Map<Uint8Array, CborValue[]>];
      assert.deepEqual([...distr.keys()].map(bytesToHex), poolIds, "pool ids in ascending order");
      for (const [id, [stake, vrf]] of distr) {
        const entry = ledger.poolDistr.get(bytesToHex(id))!;
        assert.deepEqual(tagValue(stake), [Number(entry.stake.num), Number(entry.stake.den)]);
        assert.equal(bytesToHex(vrf as Uint8Array), bytesToHex(entry.vrfKeyHash));
      }
      const [params17] = (await c.query(conway([17, [hexToBytes(poolIds[0]!)]]))) as [Map<Uint8Array, CborValue[]>];
      const p = ledger.pools.get(poolIds[0]!)!;
      const [fields] = [...params17.values()];
      assert.equal(fields!.length, 9);
      assert.equal(bytesToHex(fields![0] as Uint8Array), p.operator);
      assert.equal(BigInt(fields![2] as number), p.pledge);
      assert.equal(bytesToHex(fields![5] as Uint8Array), p.rewardAccount);
      const [state] = (await c.query(conway([19, []]))) as [Map<unknown, unknown>[]];
      assert.equal(state.length, 4);
      assert.equal(state[0]!.size, 2);
      const [snap] = (await c.query(conway([20, []]))) as [CborValue[]];
      assert.equal(snap.length, 4);
      assert.equal((snap[0] as Map<unknown, unknown>).size, 2);

      const cred = [0, hexToBytes(owners[1]!.stakeHash)];
      const [[delegations, rewards]] = (await c.query(conway([10, [cred]]))) as [
        [Map<CborValue[], Uint8Array>, Map<unknown, unknown>],
      ];
      const account = ledger.accounts.get(owners[1]!.stakeHash)!;
      assert.equal(bytesToHex([...delegations.values()][0]!), account.pool);
      assert.equal(BigInt([...rewards.values()][0] as number), account.reward);

      // Protocol state: Praos's, version 0, eight fields; nonces [1, hash] or [0] (neutral).
      const [[version, praos]] = (await c.query(conway([13]))) as [[number, CborValue[]]];
      assert.equal(version, 0);
      assert.equal(praos.length, 8);
      assert.deepEqual(praos[0], [1, Number(tip.body.slot)]);
      assert.deepEqual(
        [...(praos[1] as Map<Uint8Array, number>)].map(([k, v]) => [bytesToHex(k), v]),
        [[poolIds[0], 3]],
      );
      const n = chainState.nonces;
      const hexNonce = (x: CborValue) =>
        (x as CborValue[])[0] === 0 ? null : bytesToHex((x as CborValue[])[1] as Uint8Array);
      assert.deepEqual(
        praos.slice(2).map(hexNonce),
        [n.evolving, n.candidate, n.epochNonce, n.previousEpochNonce, n.lab, n.lastEpochBlock].map((x) =>
          x === null ? null : bytesToHex(x),
        ),
      );
      assert.equal(hexNonce(praos[5]!), bytesToHex(genesis.hash), "the previous epoch nonce: epoch 0's");
      assert.notEqual(hexNonce(praos[4]!), hexNonce(praos[5]!));
      const [deposits] = (await c.query(conway([22, [cred, [0, new Uint8Array(28)]]]))) as [Map<unknown, unknown>];
      assert.deepEqual([...deposits.values()].map(Number), [Number(account.deposit)], "registered credentials only");
      const [[distr2, active]] = (await c.query(conway([36, []]))) as [[Map<Uint8Array, CborValue[]>, number]];
      assert.deepEqual([...distr2.keys()].map(bytesToHex), poolIds);
      const stakes = [...distr2.values()].map((e) => BigInt(e[1] as number));
      assert.equal(
        BigInt(active),
        stakes.reduce((a, b) => a + b, 0n),
      );
      // GetStakeDistribution2 (37, V21+): every pool, in the same shape, with GetStakeDistribution's fractions.
      const [[distr37, active37]] = (await c.query(conway([37]))) as [[Map<Uint8Array, CborValue[]>, number]];
      assert.deepEqual(
        [...distr37].map(([k, e]) => [bytesToHex(k), e.length]),
        poolIds.map((id) => [id, 3]),
      );
      assert.equal(active37, active);
      const [distr5] = (await c.query(conway([5]))) as [Map<Uint8Array, CborValue[]>];
      assert.deepEqual(
        [...distr37.values()].map((e) => [e[0], e[2]]),
        [...distr5.values()],
      );

      // A query for Babbage while the ledger is in Conway: the era mismatch, not an answer.
      assert.deepEqual(await c.query([0, [0, [5, [1]]]]), [
        [5, "Babbage"],
        [6, "Conway"],
      ]);
      c.lsq.send({ type: "MsgRelease" });
      c.lsq.send({ type: "MsgDone" });
    } finally {
      c.mux.close("done");
      await c.server.close();
    }
  });

  it("answers GetGenesisConfig from the node's genesis, in the layout of the negotiated version", async () => {
    for (const [version, paramsLength] of [
      [20, 18],
      [21, 17],
      [22, 17],
    ] as const) {
      const c = await client(false, [version | N2C_VERSION_BIT]);
      try {
        assert.equal((await c.acquireAt("tip")).type, "MsgAcquired");
        const [g] = (await c.query(conway([11]))) as [CborValue[]];
        assert.equal(g.length, 15);
        assert.deepEqual(g[0], [2026, 60, BigInt(12 * 3600 + 34 * 60 + 56) * 10n ** 12n]);
        assert.deepEqual(g.slice(1, 3), [MAGIC, 0]);
        const f = genesis.activeSlotsCoeff;
        assert.deepEqual(g[3], [Number(f.num), Number(f.den)]);
        assert.deepEqual(g.slice(4, 9).map(Number), [
          genesis.securityParam,
          100,
          genesis.slotsPerKESPeriod,
          genesis.maxKESEvolutions,
          genesis.slotLengthMs * 1000,
        ]);
        const params = g[11] as CborValue[];
        assert.equal(params.length, paramsLength, `NodeToClientV_${version}`);
        assert.equal(params[0], Number(ledgerParams.minFeeA));
        assert.deepEqual(params.slice(14, 16), paramsLength === 18 ? [10, 0] : [[10, 0], 1000000]);
        assert.deepEqual(g.slice(12), [new Map(), new Map(), [new Map(), new Map()]], "compact: no funds, no staking");
      } finally {
        c.mux.close("done");
        await c.server.close();
      }
    }
  });

  it("answers the DRep states, vote delegatees and account state the ledger holds", async () => {
    const [keyDRep, scriptDRep] = ["d1".repeat(28), "5c".repeat(28)];
    const scriptCred = `script:${scriptDRep}`;
    const [a0, a1] = [owners[0]!.stakeHash, owners[1]!.stakeHash];
    const saved = [a0, a1].map((a) => [a, ledger.accounts.get(a)!] as const);
    ledger.dreps.set(keyDRep, { deposit: 500_000_000n, expiry: 20 });
    ledger.dreps.set(scriptCred, { deposit: 7n, expiry: 3 });
    ledger.accounts.set(a0, { ...saved[0]![1], drep: keyDRep });
    ledger.accounts.set(a1, { ...saved[1]![1], drep: "abstain" });
    const c = await client();
    try {
      assert.equal((await c.acquireAt("tip")).type, "MsgAcquired");
      // Every DRep for the empty set: the script credential first (Credential's order), each as
      // [expiry, SNothing anchor, deposit, delegators].
      const [all] = (await c.query(conway([25, []]))) as [Map<CborValue[], CborValue[]>];
      const entries = [...all].map(([k, v]) => [k[0], bytesToHex(k[1] as Uint8Array), v] as const);
      assert.deepEqual(
        entries.map(([kind, hash]) => [kind, hash]),
        [
          [1, scriptDRep],
          [0, keyDRep],
        ],
      );
      const [, , keyState] = entries[1]!;
      assert.deepEqual(keyState.slice(0, 3), [20, [], 500_000_000]);
      assert.deepEqual(
        [...(keyState[3] as unknown as Set<CborValue[]>)].map((x) => [x[0], bytesToHex(x[1] as Uint8Array)]),
        [[0, a0]],
      );
      assert.deepEqual(entries[0]![2].slice(0, 3), [3, [], 7]);
      const [one] = (await c.query(conway([25, [[0, hexToBytes(keyDRep)]]]))) as [Map<unknown, unknown>];
      assert.equal(one.size, 1);
      // Vote delegatees of the credentials asked for: a DRep key [0, h], always abstain [2]; none for others.
      const [delegatees] = (await c.query(
        conway([
          28,
          [
            [0, hexToBytes(a0)],
            [0, hexToBytes(a1)],
            [0, new Uint8Array(28)],
          ],
        ]),
      )) as [Map<CborValue[], CborValue[]>];
      const byCred = new Map([...delegatees].map(([k, v]) => [bytesToHex(k[1] as Uint8Array), v]));
      assert.equal(byCred.size, 2);
      assert.deepEqual(byCred.get(a1), [2]);
      assert.equal(bytesToHex(byCred.get(a0)![1] as Uint8Array), keyDRep);
      // ChainAccountState [treasury, reserves].
      const [pots] = (await c.query(conway([29]))) as [CborValue[]];
      assert.deepEqual(
        pots.map((x) => BigInt(x as number)),
        [ledger.pots.treasury, ledger.pots.reserves],
      );
      assert.ok(ledger.pots.reserves > 0n);
    } finally {
      c.mux.close("done");
      await c.server.close();
      ledger.dreps.clear();
      for (const [a, account] of saved) ledger.accounts.set(a, account);
    }
  });

  it("serves the same protocols on the optional TCP port", async () => {
    const c = await client(true);
    try {
      assert.ok(c.server.port > 0);
      assert.equal((await c.acquireAt("tip")).type, "MsgAcquired");
      const point = (await c.query([3])) as [number, Uint8Array];
      assert.equal(bytesToHex(point[1]), bytesToHex(tip.hash));
    } finally {
      c.mux.close("done");
      await c.server.close();
    }
  });

  it("refuses points it holds no state for, re-acquires, and keeps answering from the state it acquired", async () => {
    const c = await client();
    try {
      const missing = { point: { slot: tip.body.slot, hash: new Uint8Array(32) } };
      assert.deepEqual(await c.acquireAt(missing), { type: "MsgFailure", failure: 1 });
      const older = chain.at(-3)!.header;
      assert.deepEqual(await c.acquireAt({ point: { slot: older.body.slot, hash: older.hash } }), {
        type: "MsgFailure",
        failure: 0,
      });
      assert.equal((await c.acquireAt({ point: { slot: tip.body.slot, hash: tip.hash } })).type, "MsgAcquired");
      const before = ((await c.query(conway([7]))) as [Map<unknown, unknown>])[0].size;
      ledger.utxo.set(`${"ab".repeat(32)}#0`, { ...ledger.utxo.values().next().value!, coin: 1n });
      try {
        assert.equal(((await c.query(conway([7]))) as [Map<unknown, unknown>])[0].size, before, "the acquired state");
        assert.equal((await c.acquireAt("tip", true)).type, "MsgAcquired");
        assert.equal(((await c.query(conway([7]))) as [Map<unknown, unknown>])[0].size, before + 1, "re-acquired");
      } finally {
        ledger.utxo.delete(`${"ab".repeat(32)}#0`);
      }
    } finally {
      c.mux.close("done");
      await c.server.close();
    }
  });

  it("closes the connection on an unsupported query with a log line naming it, and on a malformed message", async () => {
    const c = await client();
    try {
      assert.equal((await c.acquireAt("tip")).type, "MsgAcquired");
      c.lsq.send({ type: "MsgQuery", query: encodeCbor(conway([24])) });
      const closed = await Promise.race([c.mux.closed.then(() => true), c.lsq.recv().then(() => false)]);
      assert.ok(closed, "no answer: the connection closed");
      assert.ok(
        warnings.some((w) => /Shelley query 24 is not supported by poolfleet/.test(w)),
        warnings.join("; "),
      );
    } finally {
      c.mux.close("done");
      await c.server.close();
    }
    // Queries with arguments of the wrong shape: refused with the reason, never an internal error.
    for (const bad of [
      conway([6, 5]),
      conway([15, [[new Uint8Array(32), -1]]]),
      conway([15, [[1, 2]]]),
      conway([17, [new Uint8Array(3)]]),
      conway([20, [7]]),
      conway([25, 5]),
      conway([25, [[0, new Uint8Array(3)]]]),
      conway([28, [[7, new Uint8Array(28)]]]),
      conway([27, [], [], [3]]),
      conway([27, [[0, new Uint8Array(3)]], [], []]),
      conway([27, [], [[2, new Uint8Array(28)]], []]),
      conway([27, [], []]),
      [0, [0, [9, [1]]]],
      [0, [7]],
      [4],
      "not a query",
    ] as CborValue[]) {
      const b = await client();
      try {
        const reason = new Promise<string>((resolve) => b.server.onDisconnect((x) => resolve(x.reason)));
        assert.equal((await b.acquireAt("tip")).type, "MsgAcquired");
        b.lsq.send({ type: "MsgQuery", query: encodeCbor(bad) });
        assert.match(
          await reason,
          /^local state-query: /,
          JSON.stringify(bad, (_k, v: unknown) => (v instanceof Uint8Array ? "bytes" : v)),
        );
      } finally {
        b.mux.close("done");
        await b.server.close();
      }
    }
    // MsgQuery while nothing is acquired (StIdle), and bytes that are not a message: each closes its connection.
    for (const bytes of [message(3, encodeCbor([1])), message(99), Uint8Array.of(0xff)]) {
      const d = await client();
      try {
        const reason = new Promise<string>((resolve) => d.server.onDisconnect((x) => resolve(x.reason)));
        d.socket.write(sdu(N2C_PROTOCOL.localStateQuery, bytes));
        assert.match(
          await reason,
          /local state-query: (in state StIdle the client sent MsgQuery|.*unknown local state-query message tag 99|malformed)/,
        );
      } finally {
        d.mux.close("done");
        await d.server.close();
      }
    }
  });
});
