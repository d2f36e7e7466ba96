// cardano-ledger Babbage/Conway UTXO rule, `validateOutputTooBigUTxO`: the value of every output, serialised as
// the ledger serialises it, is at most the protocol parameter `maxValSize` bytes (Alonzo genesis `maxValueSize`,
// 5000 on mainnet), so that no output holds more tokens than a node will keep.
import type { SizedTxOutput } from "../tx.ts";
import { valueSize } from "../value.ts";
import type { F } from "./failure.ts";

export type OutputTooBigFailure =
  | F<"OutputTooBigUTxO", { outputs: { index: number; size: number; max: number }[] }>
  | F<"MissingProtocolParameter", { parameter: string }>;

export function outputTooBigFailures(
  outputs: readonly SizedTxOutput[],
  maxValueSize: number | null,
): OutputTooBigFailure[] {
  if (!outputs.some((o) => o.assets.size > 0)) return []; // a coin alone is at most 9 bytes
  if (maxValueSize === null)
    return [
      {
        kind: "MissingProtocolParameter",
        parameter: "maxValueSize",
        message:
          "maxValueSize is unknown, so no output with tokens can be checked: config.json names no AlonzoGenesisFile",
      },
    ];
  const big = outputs.flatMap((o, index) => {
    const size = valueSize(o);
    return size > maxValueSize ? [{ index, size, max: maxValueSize }] : [];
  });
  if (big.length === 0) return [];
  return [
    {
      kind: "OutputTooBigUTxO",
      outputs: big,
      message: `output values over maxValueSize (${maxValueSize} bytes): ${big
        .map((b) => `output ${b.index} is ${b.size} bytes`)
        .join("; ")}`,
    },
  ];
}
