// The stake distribution a Shelley genesis sets up: pools registered in `staking.pools`, stake keys delegated
// in `staking.stake`, and the lovelace each delegated stake key controls through base addresses in
// `initialFunds`. Relative stake is exact (a rational over the total delegated stake).
import { hexToBytes } from "../crypto/bytes.ts";
import { rational, type Rational } from "../crypto/rational.ts";

export interface PoolStake {
  readonly poolId: string;
  readonly lovelace: bigint;
  readonly relative: Rational;
  readonly vrfKeyHash: Uint8Array;
}

export class GenesisStakeError extends Error {
  override name = "GenesisStakeError";
}

/** The stake credential hash of a base address (header types 0-3), or null for other address types. */
export function stakeCredentialOf(address: Uint8Array): string | null {
  const type = address[0]! >> 4;
  if (type > 3 || address.length !== 57) return null;
  return Buffer.from(address.subarray(29, 57)).toString("hex");
}

export function genesisStakeDistribution(document: Record<string, unknown>): Map<string, PoolStake> {
  const staking = (document.staking ?? {}) as {
    pools?: Record<string, { vrf?: string }>;
    stake?: Record<string, string>;
  };
  const pools = staking.pools ?? {};
  const delegations = staking.stake ?? {};
  const funds = (document.initialFunds ?? {}) as Record<string, number | string>;
  const byPool = new Map<string, bigint>();
  for (const [addressHex, amount] of Object.entries(funds)) {
    let credential: string | null;
    try {
      credential = stakeCredentialOf(hexToBytes(addressHex));
    } catch {
      throw new GenesisStakeError(`initialFunds address ${addressHex.slice(0, 16)}… is not hex`);
    }
    const pool = credential ? delegations[credential] : undefined;
    if (!pool) continue;
    byPool.set(pool, (byPool.get(pool) ?? 0n) + BigInt(amount));
  }
  const total = [...byPool.values()].reduce((a, b) => a + b, 0n);
  const out = new Map<string, PoolStake>();
  for (const [poolId, params] of Object.entries(pools)) {
    if (typeof params.vrf !== "string" || !/^[0-9a-f]{64}$/.test(params.vrf)) {
      throw new GenesisStakeError(`staking.pools.${poolId}.vrf must be a 32-byte VRF key hash in hex`);
    }
    const lovelace = byPool.get(poolId) ?? 0n;
    out.set(poolId, {
      poolId,
      lovelace,
      relative: total === 0n ? rational(0n, 1n) : rational(lovelace, total),
      vrfKeyHash: hexToBytes(params.vrf),
    });
  }
  return out;
}
