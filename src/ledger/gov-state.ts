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
  // What enactment needs (ENACT); absent in proposals kept by nodes before ratification was implemented.
  /** A parameter change's update (the CBOR map of ConwayPParams keys to values, hex). */
  readonly update?: string;
  /** A treasury withdrawal's reward accounts (hex) and amounts (decimal lovelace). */
  readonly withdrawals?: readonly (readonly [string, string])[];
  /** A committee update's removed cold credentials, the terms of `members` (same order) and its quorum `n/d`. */
  readonly removed?: readonly string[];
  readonly terms?: readonly number[];
  readonly threshold?: string;
  /** A new constitution's guardrail script hash (hex), or null for none. */
  readonly policy?: string | null;
  /** A new constitution's anchor [url, data hash in hex]. */
  readonly constitutionAnchor?: readonly [string, string] | null;
}

/**
 * The outcome of RATIFY (cardano-ledger Conway/Rules/Ratify.hs) over the proposals, votes and distributions of
 * one epoch boundary, applied at the next (Rules/Epoch.hs, as the DRep pulser's result): the actions enacted in
 * order, those expired, and the enact state they lead to. JSON-ready (amounts as decimal strings).
 */
export interface Ratified {
  /** The epoch the ratification ran in (`reCurrentEpoch`). */
  readonly epoch: number;
  readonly enacted: readonly GovActionId[];
  readonly expired: readonly GovActionId[];
  /** The committee (cold credential, last epoch) and its quorum `n/d`; null after no confidence. */
  readonly committee: readonly (readonly [string, number])[] | null;
  readonly committeeThreshold: string | null;
  readonly constitutionPolicy: string | null;
  /** The constitution's anchor after this ratification (absent in ratifications kept before anchors were). */
  readonly constitutionAnchor?: readonly [string, string] | null;
  /** Every parameter change enacted so far (hex of the merged update map). */
  readonly paramChanges: string;
  readonly protocolVersion: readonly [number, number] | null;
  /** Enacted treasury withdrawals by stake credential (decimal lovelace). */
  readonly withdrawals: readonly (readonly [string, string])[];
  readonly roots: readonly (readonly [GovPurpose, GovActionId])[];
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

/**
 * The DRep group of each updatable parameter (cardano-ledger Conway PParams.hs `pGroup`), as an index into
 * `drepVotingThresholds`: 5 network, 6 economic, 7 technical, 8 governance.
 */
export const DREP_GROUP: ReadonlyMap<number, number> = new Map([
  ...[2, 3, 4, 20, 21, 22, 24].map((k) => [k, 5] as const),
  ...[0, 1, 5, 6, 10, 11, 16, 17, 19, 33].map((k) => [k, 6] as const),
  ...[7, 8, 9, 18, 23].map((k) => [k, 7] as const),
  ...[25, 26, 27, 28, 29, 30, 31, 32].map((k) => [k, 8] as const),
]);
