// `devnet up`'s multikey flags (issue 16): --multikey makes the devnet one group producer holding every pool,
// --backup adds a producer at redundancy level 1 with the same pools, --takeover-after-missed-slots and
// --pool-lease-seconds are passed to both. Checked here so a flag given without --multikey is an error, not
// silently a single-pool devnet.
import { InputError } from "../../formats/errors.ts";
import type { Command, Flags } from "../command.ts";
import type { MultikeyShape } from "./plan.ts";

export const MULTIKEY_FLAGS: Command["flags"] = {
  multikey: {
    type: "boolean",
    description: "one group producer holding every pool's keys instead of one producer per pool (up to 32 pools)",
  },
  backup: { type: "boolean", description: "with --multikey: a backup producer (level 1) holding the same pools" },
  "takeover-after-missed-slots": {
    type: "string",
    value: "K",
    description: "with --multikey: the backup takes a pool over after K of its leader slots went empty (default 3)",
  },
  "pool-lease-seconds": {
    type: "string",
    value: "S",
    description: "with --multikey: the pool leases' duration, the fence between main and backup (default 5)",
  },
};

/** At most 32 pools per group (seeds/002); a single-pool devnet runs a producer per pool, at most 20. */
export const MAX_GROUP_POOLS = 32;

export function multikeyShape(flags: Flags): MultikeyShape | undefined {
  const takeover = flags.optionalString("takeover-after-missed-slots");
  const lease = flags.optionalString("pool-lease-seconds");
  if (!flags.boolean("multikey")) {
    const stray = flags.boolean("backup")
      ? "--backup"
      : takeover !== undefined
        ? "--takeover-after-missed-slots"
        : lease !== undefined
          ? "--pool-lease-seconds"
          : undefined;
    if (stray) throw new InputError(stray, "is for a multikey devnet: add --multikey");
    return undefined;
  }
  if (takeover !== undefined && (!/^\d+$/.test(takeover) || Number(takeover) < 1 || Number(takeover) > 1000))
    throw new InputError("--takeover-after-missed-slots", `"${takeover}" must be a whole number from 1 to 1000`);
  if (lease !== undefined && (!/^\d+(\.\d+)?$/.test(lease) || Number(lease) < 0.1 || Number(lease) > 3600))
    throw new InputError("--pool-lease-seconds", `"${lease}" must be a number of seconds from 0.1 to 3600`);
  return {
    backup: flags.boolean("backup"),
    takeoverAfterMissedSlots: takeover === undefined ? 3 : Number(takeover),
    // Shorter than the node's 30 s: on a devnet a person watching a takeover should not wait a minute for it.
    leaseSeconds: lease === undefined ? 5 : Number(lease),
  };
}
