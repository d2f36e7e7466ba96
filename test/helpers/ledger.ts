// A devnet ledger for rule tests: the genesis `poolfleet-cli genesis create` writes, parsed by the same code the
// node uses, plus helpers to build and sign transactions against it.
import { randomBytes } from "node:crypto";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../../src/crypto/hash.ts";
import { rational } from "../../src/crypto/rational.ts";
import { vrfSecretKeyFromSeed } from "../../src/crypto/vrf.ts";
import { baseAddress, createDevnet, DEVNET_DEFAULTS } from "../../src/formats/devnet-genesis.ts";
import { parseShelleyGenesis } from "../../src/formats/genesis.ts";
import type { PoolParams } from "../../src/ledger/certs.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import {
  coinsPerUTxOByteFromAlonzoGenesis,
  ledgerParamsFromGenesis,
  type LedgerParams,
  maxValueSizeFromAlonzoGenesis,
} from "../../src/ledger/params.ts";
import { genesisLedgerState, type LedgerState } from "../../src/ledger/state.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import { outRef } from "../../src/ledger/utxo.ts";

export interface Wallet {
  readonly paymentSeed: Uint8Array;
  readonly stakeSeed: Uint8Array;
  readonly address: Uint8Array;
  readonly stakeHash: string;
  readonly paymentHash: string;
}

export function wallet(
  paymentSeed: Uint8Array = Uint8Array.from(randomBytes(32)),
  stakeSeed: Uint8Array = Uint8Array.from(randomBytes(32)),
): Wallet {
  const stakeVkey = ed25519PublicKey(stakeSeed);
  return {
    paymentSeed,
    stakeSeed,
    address: baseAddress(ed25519PublicKey(paymentSeed), stakeVkey),
    stakeHash: bytesToHex(blake2b224(stakeVkey)),
    paymentHash: bytesToHex(blake2b224(ed25519PublicKey(paymentSeed))),
  } satisfies Wallet;
}

export interface TestLedger {
  readonly state: LedgerState;
  readonly params: LedgerParams;
  /** The genesis pools' owners: each holds the pool's genesis funds at a base address delegated to it. */
  readonly owners: Wallet[];
  readonly poolIds: string[];
}

export function devnetLedger(pools = 1, overrides: Partial<typeof DEVNET_DEFAULTS> = {}): TestLedger {
  const devnet = createDevnet({ ...DEVNET_DEFAULTS, epochLength: 100, ...overrides, pools, startTime: new Date() });
  const genesis = parseShelleyGenesis(Uint8Array.from(Buffer.from(devnet.shelleyGenesis)), "test genesis");
  const params = ledgerParamsFromGenesis(
    genesis,
    "test genesis",
    coinsPerUTxOByteFromAlonzoGenesis(JSON.parse(devnet.alonzoGenesis)),
    maxValueSizeFromAlonzoGenesis(JSON.parse(devnet.alonzoGenesis)),
  );
  return {
    state: genesisLedgerState(genesis, params),
    params,
    owners: devnet.pools.map((p) => wallet(p.paymentSeed, p.stakeSeed)),
    poolIds: devnet.pools.map((p) => bytesToHex(p.poolId)),
  };
}

/** The genesis pseudo-input of a wallet funded in genesis. */
export const genesisInput = (w: Wallet) => ({ txId: blake2b256(w.address), index: 0 });

/** Every UTxO entry at a wallet's address. */
export function utxoOf(state: LedgerState, w: Wallet) {
  const hex = bytesToHex(w.address);
  return [...state.utxo].filter(([, o]) => bytesToHex(o.address) === hex);
}

/**
 * A signed transaction spending all of `from`'s UTxO, paying `outputs`, with the change back to `from`, the fee
 * set to the minimum for its size (computed by building twice), and `deposits - refunds - withdrawals` taken
 * from the change.
 */
export function spend(
  state: LedgerState,
  params: LedgerParams,
  from: Wallet,
  plan: Omit<TxPlan, "inputs" | "fee" | "outputs"> & { outputs?: TxPlan["outputs"]; netDeposit?: bigint },
  extraSigners: Uint8Array[] = [],
) {
  const inputs = utxoOf(state, from).map(([ref]) => {
    const [txId, index] = ref.split("#");
    return { txId: Uint8Array.from(Buffer.from(txId!, "hex")), index: Number(index) };
  });
  const available = utxoOf(state, from).reduce((s, [, o]) => s + o.coin, 0n);
  const withdrawn = [...(plan.withdrawals?.values() ?? [])].reduce((a, b) => a + b, 0n);
  const outputs = plan.outputs ?? [];
  const build = (fee: bigint) =>
    buildTx(
      {
        ...plan,
        inputs,
        fee,
        outputs: [
          ...outputs,
          {
            address: from.address,
            coin: available + withdrawn - outputs.reduce((s, o) => s + o.coin, 0n) - fee - (plan.netDeposit ?? 0n),
          },
        ],
      },
      [from.paymentSeed, ...extraSigners],
    );
  const draft = build(1_000_000n);
  return build(params.minFeeA * BigInt(draft.ledgerSize) + params.minFeeB);
}

export interface NewPool {
  readonly coldSeed: Uint8Array;
  readonly poolId: string;
  readonly vrfKeyHash: string;
  readonly params: PoolParams;
}

export function newPool(owner: Wallet, overrides: Partial<PoolParams> = {}): NewPool {
  const coldSeed = Uint8Array.from(randomBytes(32));
  const poolId = bytesToHex(blake2b224(ed25519PublicKey(coldSeed)));
  const vrf = vrfSecretKeyFromSeed(Uint8Array.from(randomBytes(32)));
  const vrfKeyHash = bytesToHex(blake2b256(vrf.publicKey));
  return {
    coldSeed,
    poolId,
    vrfKeyHash,
    params: {
      operator: poolId,
      vrfKeyHash,
      pledge: 0n,
      cost: 340_000_000n,
      margin: rational(1n, 10n),
      rewardAccount: rewardAccount(owner.stakeHash),
      owners: [owner.stakeHash],
      relays: [],
      metadata: null,
      ...overrides,
    },
  };
}

export { outRef };
