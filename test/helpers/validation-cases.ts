// The header-validation cases generated from ouroboros-consensus (via amaru): their shape, and the validation
// context each describes. Shared by the vector tests and the benchmark.
import type { LedgerView, ValidationContext } from "../../src/consensus/header-validation.ts";
import { activeSlotCoeff } from "../../src/crypto/leader.ts";
import { parseRational } from "../../src/crypto/rational.ts";
import { unhex } from "./fixtures.ts";

export interface ValidationCase {
  title: string;
  context: {
    activeSlotCoeff: number;
    nonce: string;
    ocertCounters: Record<string, number>;
    praosMaxKESEvo: number;
    praosSlotsPerKESPeriod: number;
    vrfVKeyHash: string;
  };
  header: string;
  ledgerState?: "missingPool" | "failing" | null;
  expected: "pass" | { error: string } | { decodeError: string };
}

export function ledgerFor(c: ValidationCase): LedgerView {
  // The generator's stake distribution gives the issuing pool all the stake (as the amaru harness does).
  return {
    pool: () => {
      if (c.ledgerState === "failing") throw new Error("stake distribution not available");
      if (c.ledgerState === "missingPool") return undefined;
      return { stake: { num: 1n, den: 1n }, vrfKeyHash: unhex(c.context.vrfVKeyHash) };
    },
    ocertCounter: (poolId) => c.context.ocertCounters[poolId],
  };
}

export function contextFor(c: ValidationCase): ValidationContext {
  return {
    params: {
      slotsPerKESPeriod: c.context.praosSlotsPerKESPeriod,
      maxKESEvolutions: c.context.praosMaxKESEvo,
      activeSlotCoeff: activeSlotCoeff(parseRational(String(c.context.activeSlotCoeff))),
    },
    epochNonce: unhex(c.context.nonce),
    ledger: ledgerFor(c),
  };
}
