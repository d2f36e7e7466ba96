// What poolfleet's ledger does not implement yet, by name: body and witness fields (governance, bootstrap
// witnesses) and certificates it does not model. A transaction using any of them is refused
// as UnsupportedFeature rather than judged by rules that would ignore part of it. (Running Plutus scripts is
// phase 2's to refuse, after every phase-1 rule: rules/phase-two.ts.)
import { type Certificate, rewardAccountCredential } from "../certs.ts";
import type { TxBody, WitnessSet } from "../tx.ts";

export const unsupportedFeatures = (body: TxBody, witnesses: WitnessSet, certs: Certificate[]): string[] => [
  ...body.unsupported,
  ...witnesses.unsupported,
  ...certs.flatMap((c) => (c.kind === "Unsupported" ? [c.name] : [])),
  ...[...body.withdrawals.keys()]
    .filter((a) => rewardAccountCredential(a) === null)
    .map(() => "malformed reward accounts"),
];
