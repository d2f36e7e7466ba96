// Header validation against the cases generated from ouroboros-consensus (via amaru), and any further
// header-validation-cases*.json dropped in test/fixtures/headers. Their error names are amaru's; the table
// maps each to the PraosValidationErr constructor (ours) for the same fault.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeHeader, HeaderDecodeError } from "../../src/chain/header.ts";
import { validateHeader, type PraosValidationErrorKind } from "../../src/consensus/header-validation.ts";
import { fixtureFiles, readFixtureJson, unhex } from "../helpers/fixtures.ts";
import { contextFor, type ValidationCase } from "../helpers/validation-cases.ts";

const ERROR_MAP: Record<string, PraosValidationErrorKind | "decode"> = {
  SequenceNumberTooFarAhead: "CounterOverIncrementedOCERT",
  SequenceNumberTooSmall: "CounterTooSmallOCERT",
  InvalidSignature: "InvalidSignatureOCERT",
  InvalidKesSignature: "InvalidKesSignatureOCERT",
  OpCertKesPeriodTooOld: "KESAfterEndOCERT",
  OpCertKesPeriodTooLarge: "KESBeforeStartOCERT",
  InsufficientLeaderStake: "VRFLeaderValueTooBig",
  UnknownPool: "VRFKeyUnknown",
  KnownLeaderVrf: "VRFKeyWrongVRFKey",
  PoolError: "LedgerViewUnavailable",
  "VrfProof(TryFromSliceError)": "VRFKeyBadProof",
  "VrfProof(MalformedProof": "VRFKeyBadProof",
  "VrfProof(InvalidProof": "VRFKeyBadProof",
  "VrfProof(ProofMismatch": "VRFKeyBadProof",
};

for (const file of fixtureFiles("headers", /^header-validation-cases.*\.json$/)) {
  describe(file, () => {
    const cases = readFixtureJson<ValidationCase[]>("headers", file);
    it("has cases of every outcome", () =>
      assert.ok(cases.some((c) => c.expected === "pass") && cases.some((c) => c.expected !== "pass")));
    for (const c of cases) {
      it(`${c.title}: ${JSON.stringify(c.expected)}`, () => {
        let header;
        try {
          header = decodeHeader(unhex(c.header));
        } catch (error) {
          assert.ok(error instanceof HeaderDecodeError);
          assert.ok(
            typeof c.expected === "object" && "decodeError" in c.expected,
            `unexpected decode error: ${(error as Error).message}`,
          );
          return;
        }
        assert.ok(!(typeof c.expected === "object" && "decodeError" in c.expected), "expected a decode error");
        const ctx = contextFor(c);
        const first = validateHeader(header, ctx);
        const all = validateHeader(header, ctx, { all: true });
        if (c.expected === "pass") {
          assert.deepEqual(
            all.map((e) => e.kind),
            [],
          );
          return;
        }
        const expectedKind = ERROR_MAP[(c.expected as { error: string }).error];
        assert.ok(expectedKind, `no mapping for ${JSON.stringify(c.expected)}`);
        assert.ok(first.length === 1, "the first error is reported");
        // The fault the case was built with is found; where a case carries several faults, the first reported
        // follows ouroboros-consensus's order (KES checks before VRF checks).
        assert.ok(
          all.map((e) => e.kind).includes(expectedKind as PraosValidationErrorKind),
          `expected ${expectedKind}, got ${all.map((e) => e.kind).join(", ")}`,
        );
        assert.equal(first[0]!.kind, all[0]!.kind);
      });
    }
  });
}
