// A UTxO entry in the ledger state's JSON snapshot (state.ts), kept apart so the format and its
// compatibility with older snapshots are in one place.
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { type ScriptLanguage, scriptHash } from "./plutus-witness.ts";
import type { TxOutput } from "./tx.ts";
import { assetEntries, normaliseAssets } from "./value.ts";

/**
 * A UTxO entry in a snapshot: [ref, address, coin], then the tokens as [policy, name, quantity] triples when
 * there are any, then { datumHash, datumOrScript, inlineDatum, referenceScript: [language, bytes] } for what
 * the output has (bytes in hex). Snapshots from before multi-assets hold only the first three and read unchanged.
 */
export function utxoEntryToJson(ref: string, o: TxOutput): unknown[] {
  const entry: unknown[] = [ref, bytesToHex(o.address), `${o.coin}`];
  const extra = {
    ...(o.datumHash && { datumHash: o.datumHash }),
    ...(o.datumOrScript && { datumOrScript: true }),
    ...(o.inlineDatum && { inlineDatum: bytesToHex(o.inlineDatum) }),
    ...(o.referenceScript && {
      referenceScript: [o.referenceScript.language, bytesToHex(o.referenceScript.bytes)],
    }),
  };
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
  const { datumHash, datumOrScript, inlineDatum, referenceScript } = (extra ?? {}) as Record<string, unknown>;
  const hex = (v: unknown) => typeof v === "string" && /^([0-9a-f]{2})*$/.test(v);
  if (inlineDatum !== undefined && !hex(inlineDatum))
    throw new Error(`ledger state snapshot: UTxO entry ${ref} has a malformed inline datum`);
  const [language, script] = (referenceScript ?? []) as [unknown, unknown];
  if (referenceScript !== undefined && !(hex(script) && [0, 1, 2, 3].includes(language as number)))
    throw new Error(`ledger state snapshot: UTxO entry ${ref} has a malformed reference script`);
  if (datumHash !== undefined && (typeof datumHash !== "string" || !/^[0-9a-f]{64}$/.test(datumHash)))
    throw new Error(`ledger state snapshot: UTxO entry ${ref} has a malformed datum hash`);
  return [
    ref,
    {
      address: hexToBytes(address),
      coin: BigInt(coin),
      assets: normaliseAssets(triples.map(([p, n, q]) => [p, n, BigInt(q)])),
      datumOrScript: datumOrScript === true,
      ...(datumHash !== undefined && { datumHash: datumHash as string }),
      ...(inlineDatum !== undefined && { inlineDatum: hexToBytes(inlineDatum as string) }),
      ...(referenceScript !== undefined && {
        referenceScript: {
          language: language as ScriptLanguage,
          bytes: hexToBytes(script as string),
          hash: scriptHash(language as ScriptLanguage, hexToBytes(script as string)),
        },
      }),
    },
  ];
}
