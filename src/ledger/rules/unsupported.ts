// What poolfleet's ledger does not implement yet, by name: body and witness fields (Plutus scripts, datums,
// redeemers, collateral, governance), certificates it does not model, script withdrawals, and outputs carrying
// inline datums or reference scripts. A transaction using any of them is refused as UnsupportedFeature rather than
// judged by rules that would ignore part of it.
import { type Certificate, rewardAccountKeyHash } from "../certs.ts";
import type { TxBody, WitnessSet } from "../tx.ts";

export const unsupportedFeatures = (body: TxBody, witnesses: WitnessSet, certs: Certificate[]): string[] => [
  ...body.unsupported,
  ...witnesses.unsupported,
  ...certs.flatMap((c) => (c.kind === "Unsupported" ? [c.name] : [])),
  ...[...body.withdrawals.keys()].filter((a) => rewardAccountKeyHash(a) === null).map(() => "script withdrawals"),
  ...(body.outputs.some((o) => o.datumOrScript) ? ["inline datums or reference scripts"] : []),
];
