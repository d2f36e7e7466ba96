// Redeemers, cardano-ledger Alonzo Utxow.hs `hasExactSetOfRedeemers` and Alonzo Utxo.hs
// `validateExUnitsTooBigUTxO`: every script purpose whose script is a Plutus script needs exactly one redeemer
// pointing at it — a spent input by its place among the inputs sorted as a set (transaction id, then index), a
// minting policy by its place among the sorted policy ids — (`MissingRedeemers`), a redeemer pointing at nothing
// that runs a Plutus script is refused (`ExtraRedeemers`), and the execution units of all redeemers together
// stay within `maxTxExUnits` (`ExUnitsTooBigUTxO`).
import type { PlutusParams } from "../params.ts";
import type { ExUnits, Redeemer, RedeemerTag } from "../plutus-witness.ts";
import { totalExUnits } from "./min-fee.ts";
import type { F } from "./failure.ts";

/** Something a script must approve: a redeemer pointer and the script hash that runs for it. */
export interface ScriptPurpose {
  readonly tag: RedeemerTag;
  readonly index: number;
  readonly hash: string;
}

export type RedeemerFailure =
  | F<"MissingRedeemers", { purposes: string[] }>
  | F<"ExtraRedeemers", { pointers: string[] }>
  | F<"ExUnitsTooBigUTxO", { max: ExUnits; total: ExUnits }>;

const pointer = (r: { tag: RedeemerTag; index: number }) => `${r.tag} ${r.index}`;

export function redeemerFailures(
  purposes: readonly ScriptPurpose[],
  plutusHashes: ReadonlySet<string>,
  redeemers: readonly Redeemer[],
  params: PlutusParams | undefined,
): RedeemerFailure[] {
  const failures: RedeemerFailure[] = [];
  const needed = purposes.filter((p) => plutusHashes.has(p.hash));
  const neededPointers = new Set(needed.map(pointer));
  const given = new Set(redeemers.map(pointer));
  const extra = redeemers.map(pointer).filter((p) => !neededPointers.has(p));
  if (extra.length > 0)
    failures.push({
      kind: "ExtraRedeemers",
      pointers: extra,
      message: `redeemers ${extra.join(", ")} point at no input, policy or credential that runs a Plutus script`,
    });
  const missing = needed.filter((p) => !given.has(pointer(p))).map((p) => `${pointer(p)} (script ${p.hash})`);
  if (missing.length > 0)
    failures.push({
      kind: "MissingRedeemers",
      purposes: missing,
      message: `Plutus scripts need redeemers that the witness set does not carry: ${missing.join(", ")}`,
    });
  const total = totalExUnits(redeemers.map((r) => r.exUnits));
  const max = params?.maxTxExUnits;
  if (max && (total.mem > max.mem || total.steps > max.steps))
    failures.push({
      kind: "ExUnitsTooBigUTxO",
      max,
      total,
      message: `the redeemers ask for ${total.mem} memory and ${total.steps} steps; a transaction may use at most ${max.mem} and ${max.steps}`,
    });
  return failures;
}

/** A set of outputs references sorted as cardano-ledger orders `TxIn`: transaction id bytes, then index. */
export function sortedRefs<T extends { txId: Uint8Array; index: number }>(inputs: readonly T[]): T[] {
  const hex = (i: T) => Buffer.from(i.txId).toString("hex");
  return [...inputs].sort((a, b) => (hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : a.index - b.index));
}
