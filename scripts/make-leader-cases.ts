// Writes test/fixtures/leader/real-vrf-thresholds.json: leader-check cases on both sides of the threshold for
// the VRF outputs of the real headers. Each expectation is decided here in exact rational arithmetic, with no
// fixed point: for stake 1/k, the pool leads iff (1 - f) < (1 - p)^k, p = leaderValue / 2^256.
// Run: node scripts/make-leader-cases.ts
import { writeFileSync } from "node:fs";
import { praosLeaderValue } from "../src/consensus/vrf-input.ts";
import { bytesToHex } from "../src/crypto/bytes.ts";
import { loadRealHeaders } from "../test/helpers/real-headers.ts";

const M = 2n ** 256n;
const F = { num: 1n, den: 20n };

function leadsExactly(value: bigint, k: bigint): boolean {
  return (F.den - F.num) * M ** k < F.den * (M - value) ** k;
}

const cases = [];
for (const { headers } of loadRealHeaders()) {
  for (const { entry, header } of headers) {
    const value = praosLeaderValue(header.body.leaderVrf.output);
    const p = Number(value) / 2 ** 256;
    const critical = Math.log(1 - 0.05) / Math.log(1 - p); // 1/k stake at which this value is the threshold
    const source =
      entry.header_cbor_hex && entry.epoch_nonce
        ? { headerCborHex: entry.header_cbor_hex, epochNonceHex: entry.epoch_nonce }
        : { vrfOutputHex: bytesToHex(header.body.leaderVrf.output) };
    for (const k of [BigInt(Math.max(1, Math.floor(critical / 2))), BigInt(Math.ceil(critical * 2))]) {
      cases.push({
        id: `${entry.id} stake 1/${k}`,
        ...source,
        relativeStake: `1/${k}`,
        activeSlotCoeff: `${F.num}/${F.den}`,
        expectLeader: leadsExactly(value, k),
      });
    }
  }
}
const out = new URL("../test/fixtures/leader/real-vrf-thresholds.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(cases, null, 2)}\n`);
console.log(`${cases.length} cases, ${cases.filter((c) => c.expectLeader).length} leading`);
