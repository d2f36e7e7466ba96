// Conway's governance state as poolfleet keeps it (cardano-ledger `Proposals`: the actions proposed and not yet
// ratified or expired, each with its deposit, return account and expiry, and the roots — the last enacted action
// of each purpose — that a new proposal of that purpose must follow), with its JSON form for node snapshots.

/** The purposes whose actions form chains (`GovRelation`): each proposal names the previous one it follows. */
export type GovPurpose = "pparams" | "hardFork" | "committee" | "constitution";

/** A governance action id, `txid#index` (hex). */
export type GovActionId = string;

/** `GovActionState`, restricted to what the rules read. */
export interface Proposal {
  /** Conway's gov_action tag: 0 parameter change, 1 hard fork, 2 treasury withdrawals, 3 no confidence,
   * 4 update committee, 5 new constitution, 6 info. */
  readonly action: number;
  readonly purpose: GovPurpose | null;
  /** The action it follows (its purpose's chain), or null for the root. */
  readonly prev: GovActionId | null;
  readonly deposit: bigint;
  /** Reward account (hex) the deposit returns to. */
  readonly returnAccount: string;
  /** The last epoch it may be ratified in. */
  readonly expiresAfter: number;
  /** A hard fork's protocol version. */
  readonly protocolVersion?: readonly [number, number];
  /** A committee update's new members (cold credentials). */
  readonly members?: readonly string[];
  /** A parameter change touching the security group (SECURITY_GROUP), on which pools vote. */
  readonly security?: boolean;
}

export const proposalToJson = (p: Proposal): unknown => ({ ...p, deposit: `${p.deposit}` });
export const proposalFromJson = (v: unknown): Proposal => {
  const p = v as Proposal & { deposit: string };
  return { ...p, deposit: BigInt(p.deposit) };
};

/**
 * Conway's protocol-parameter update fields (ConwayPParams CBOR keys) in the security group, on which pools vote
 * (`pparamsUpdateThreshold`, `isStakePoolVotingAllowed`): the fee and size limits, block execution units, the
 * price of UTxO bytes and of reference scripts, and the proposal deposit.
 */
export const SECURITY_GROUP = new Set([0, 1, 2, 3, 4, 17, 21, 22, 30, 33]);
