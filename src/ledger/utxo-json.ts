// A UTxO entry in the ledger state's JSON snapshot (state.ts), kept apart so the format and its
// compatibility with older snapshots are in one place.
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import type { TxOutput } from "./tx.ts";
import { assetEntries, normaliseAssets } from "./value.ts";

/**
 * A UTxO entry in a snapshot: [ref, address, coin], then the tokens as [policy, name, quantity] triples when
 * there are any, then { datumHash, datumOrScript } when the output has either. Snapshots from before
 * multi-assets hold only the first three and read unchanged.
 */
export function utxoEntryToJson(ref: string, o: TxOutput): unknown[] {
  const entry: unknown[] = [ref, bytesToHex(o.address), `${o.coin}`];
  const extra = { ...(o.datumHash && { datumHash: o.datumHash }), ...(o.datumOrScript && { datumOrScript: true }) };
  const hasExtra = Object.keys(extra).length > 0;
  if (o.assets.size > 0 || hasExtra) entry.push([...assetEntries(o.assets)].map(([p, n, q]) => [p, n, `${q}`]));
  if (hasExtra) entry.push(extra);
  return entry;
}

export function utxoEntryFromJson(raw: unknown): [string, TxOutput] {
  const [ref, address, coin, assets, extra] = raw as [string, string, string, unknown, unknown];
  if (typeof ref !== "string" || typeof address !== "string" || typeof coin !== "string")
    throw new Error("ledger state snapshot: a UTxO entry is not [ref, address, coin, ...]");
  const triples = (assets ?? []) as [string, string, string][];
  if (!Array.isArray(triples)) throw new Error(`ledger state snapshot: UTxO entry ${ref} has malformed tokens`);
  const { datumHash, datumOrScript } = (extra ?? {}) as { datumHash?: unknown; datumOrScript?: unknown };
  if (datumHash !== undefined && (typeof datumHash !== "string" || !/^[0-9a-f]{64}$/.test(datumHash)))
    throw new Error(`ledger state snapshot: UTxO entry ${ref} has a malformed datum hash`);
  return [
    ref,
    {
      address: hexToBytes(address),
      coin: BigInt(coin),
      assets: normaliseAssets(triples.map(([p, n, q]) => [p, n, BigInt(q)])),
      datumOrScript: datumOrScript === true,
      ...(datumHash !== undefined && { datumHash }),
    },
  ];
}
