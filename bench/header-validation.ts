// Full Praos header validations per second over the Haskell-generated valid headers (each with its own
// context) and the real mainnet headers with a known epoch nonce. Run in a worker thread per core by run.ts,
// or directly: node bench/header-validation.ts [seconds]
import { readFileSync } from "node:fs";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { decodeHeader, type Header } from "../src/chain/header.ts";
import { validateHeader, type ValidationContext } from "../src/consensus/header-validation.ts";
import { contextFor, type ValidationCase } from "../test/helpers/validation-cases.ts";
import { kesVerify } from "../src/crypto/kes.ts";
import { vrfVerify } from "../src/crypto/vrf.ts";
import { praosVrfInput } from "../src/consensus/vrf-input.ts";

const unhex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

export function loadWorkload(): { header: Header; ctx: ValidationContext }[] {
  const cases = JSON.parse(
    readFileSync(new URL("../test/fixtures/headers/header-validation-cases.json", import.meta.url), "utf8"),
  ) as ValidationCase[];
  return cases
    .filter((c) => c.expected === "pass")
    .map((c) => ({ header: decodeHeader(unhex(c.header)), ctx: contextFor(c) }));
}

/** Validate the workload round-robin for `seconds`; returns validations done. Every one must pass. */
export function run(seconds: number): number {
  const work = loadWorkload();
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const { header, ctx } = work[n % work.length]!;
    if (validateHeader(header, ctx).length > 0) throw new Error("a valid header failed validation");
    n++;
  }
  return n;
}

/**
 * What gouroboros's VerifyBlock checks, for a like-for-like comparison: the VRF proof against slot and epoch nonce,
 * and the KES signature, on the two real mainnet headers that come with their epoch nonce.
 */
export function runVrfAndKesOnly(seconds: number): number {
  const { headers } = JSON.parse(
    readFileSync(new URL("../test/fixtures/headers/real-headers.json", import.meta.url), "utf8"),
  ) as {
    headers: { header_cbor_hex?: string; epoch_nonce?: string }[];
  };
  const work = headers
    .filter((h) => h.header_cbor_hex && h.epoch_nonce)
    .map((h) => ({ header: decodeHeader(unhex(h.header_cbor_hex!)), nonce: unhex(h.epoch_nonce!) }));
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const { header, nonce } = work[n % work.length]!;
    const b = header.body;
    const t = Number(b.slot / 129600n - b.opcert.kesPeriod);
    const vrfOk = vrfVerify(b.vrfVkey, b.leaderVrf.proof, praosVrfInput(b.slot, nonce));
    if (!vrfOk || !kesVerify(b.opcert.hotVkey, t, header.bodyBytes, header.kesSignature))
      throw new Error("a real header failed");
    n++;
  }
  return n;
}

if (!isMainThread) parentPort!.postMessage(run((workerData as { seconds: number }).seconds));
else if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const seconds = Number(process.argv[2] ?? 3);
  console.log(`${Math.round(run(seconds) / seconds)} header validations/s`);
}
