// cardano-ledger Babbage/Conway UTXO rule, `validateOutputTooSmallUTxO`: every output holds at least
// (160 + its serialised size in bytes) * coinsPerUTxOByte lovelace (`getMinCoinSizedTxOut`), the size being that
// of the output's bytes as they appear in the transaction. This replaced Shelley's flat `minUTxOValue`.
import type { SizedTxOutput } from "../tx.ts";
import type { F } from "./failure.ts";

/** The bytes a UTxO entry costs beyond its output's own (the input reference and the map's overhead). */
export const UTXO_ENTRY_OVERHEAD = 160n;

export type OutputSizeFailure =
  | F<"BabbageOutputTooSmallUTxO", { outputs: { index: number; coin: bigint; minimum: bigint }[] }>
  | F<"MissingProtocolParameter", { parameter: string }>;

export function minLovelace(output: Pick<SizedTxOutput, "bytes">, coinsPerUTxOByte: bigint): bigint {
  return (UTXO_ENTRY_OVERHEAD + BigInt(output.bytes.length)) * coinsPerUTxOByte;
}

export function outputSizeFailures(
  outputs: readonly SizedTxOutput[],
  coinsPerUTxOByte: bigint | null,
): OutputSizeFailure[] {
  if (outputs.length === 0) return [];
  if (coinsPerUTxOByte === null)
    return [
      {
        kind: "MissingProtocolParameter",
        parameter: "coinsPerUTxOByte",
        message:
          "coinsPerUTxOByte is unknown, so no output's minimum can be checked: config.json names no AlonzoGenesisFile",
      },
    ];
  const small = outputs.flatMap((o, index) => {
    const minimum = minLovelace(o, coinsPerUTxOByte);
    return o.coin < minimum ? [{ index, coin: o.coin, minimum }] : [];
  });
  if (small.length === 0) return [];
  return [
    {
      kind: "BabbageOutputTooSmallUTxO",
      outputs: small,
      message: `outputs below their minimum of (160 + size) * ${coinsPerUTxOByte} lovelace: ${small
        .map((s) => `output ${s.index} holds ${s.coin}, needs ${s.minimum}`)
        .join("; ")}`,
    },
  ];
}
