// Real mainnet and preprod headers: decode, hash, re-encode, opcert, KES at the computed evolution (and not at
// its neighbours), VRF, and block bodies, against values stated by the collector and the source projects.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blockBodyHash, blockBodySize } from "../../src/chain/block.ts";
import { encodePraosHeaderBody, issuerPoolId } from "../../src/chain/header.ts";
import { praosLeaderValue, praosNonceValue, praosVrfInput } from "../../src/consensus/vrf-input.ts";
import { ed25519Verify } from "../../src/crypto/ed25519.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { kesVerify } from "../../src/crypto/kes.ts";
import { vrfProofToHash, vrfVerify } from "../../src/crypto/vrf.ts";
import { opcertSignable } from "../../src/formats/opcert.ts";
import { hex, unhex } from "../helpers/fixtures.ts";
import { loadRealHeaders } from "../helpers/real-headers.ts";

const SLOTS_PER_KES_PERIOD = 129600n;

for (const { file, headers } of loadRealHeaders()) {
  describe(file, () => {
    it("has headers", () => assert.ok(headers.length >= 10));
    for (const { entry, header, block } of headers) {
      const d = entry.decoded_from_cbor;
      const derived = entry.derived_by_collector;
      it(`${entry.id}: fields, hash, ids and re-encoding`, () => {
        const b = header.body;
        assert.equal(b.blockNumber, BigInt(d.block_number));
        assert.equal(b.slot, BigInt(d.slot));
        assert.equal(hex(b.issuerVkey), d.issuer_vkey);
        assert.equal(hex(b.leaderVrf.output), d.vrf_output);
        assert.equal(b.blockBodySize, d.block_body_size);
        assert.equal(hex(b.opcert.hotVkey), d.opcert.hot_vkey);
        assert.deepEqual(b.protocolVersion, d.protocol_version);
        assert.equal(hex(header.hash), derived["block_hash_blake2b256_of_header_cbor"]);
        assert.equal(hex(issuerPoolId(header)), derived["pool_id_blake2b224_of_issuer_vkey"]);
        assert.equal(hex(blake2b256(b.vrfVkey)), derived["vrf_vkey_hash_blake2b256"]);
        assert.equal(
          praosLeaderValue(b.leaderVrf.output).toString(16).padStart(64, "0"),
          derived['leader_value_blake2b256("L"||vrf_output)'],
        );
        assert.equal(
          hex(praosNonceValue(b.leaderVrf.output)),
          derived['nonce_contribution_blake2b256(blake2b256("N"||vrf_output))'],
        );
        assert.equal(
          hex(encodePraosHeaderBody(b)),
          hex(header.bodyBytes),
          "Praos encoding reproduces the received body",
        );
      });
      it(`${entry.id}: the opcert signature verifies over the raw 48-byte signable`, () => {
        const oc = header.body.opcert;
        const signable = opcertSignable(oc.hotVkey, oc.sequenceNumber, oc.kesPeriod);
        assert.equal(
          ed25519Verify(header.body.issuerVkey, signable, oc.sigma),
          entry.collector_checks["opcert_cold_signature_valid"],
        );
        const flipped = Uint8Array.from(oc.sigma);
        flipped[0]! ^= 1;
        assert.equal(ed25519Verify(header.body.issuerVkey, signable, flipped), false);
      });
      const kesValid = entry.collector_checks["kes_signature_valid_sum6_slotsPerKESPeriod_129600"];
      it(`${entry.id}: KES ${kesValid ? "verifies at the computed evolution only" : "fails at 129600 slots per period (early testnet)"}`, () => {
        const t = Number(header.body.slot / SLOTS_PER_KES_PERIOD - header.body.opcert.kesPeriod);
        assert.equal(t, derived["kes_evolution_t"]);
        const verify = (p: number) =>
          p >= 0 && p < 64 && kesVerify(header.body.opcert.hotVkey, p, header.bodyBytes, header.kesSignature);
        assert.equal(verify(t), kesValid);
        assert.equal(verify(t - 1), false);
        assert.equal(verify(t + 1), false);
        if (kesValid)
          assert.equal(
            kesVerify(header.body.opcert.hotVkey, t, header.bytes, header.kesSignature),
            false,
            "never over a re-encoding or the whole header",
          );
      });
      it(`${entry.id}: VRF output is the proof's hash${entry.epoch_nonce ? ", and the proof verifies with the epoch nonce" : ""}`, () => {
        assert.equal(hex(vrfProofToHash(header.body.leaderVrf.proof)), d.vrf_output);
        if (entry.epoch_nonce) {
          const out = vrfVerify(
            header.body.vrfVkey,
            header.body.leaderVrf.proof,
            praosVrfInput(header.body.slot, unhex(entry.epoch_nonce)),
          );
          assert.ok(out);
          assert.equal(hex(out), d.vrf_output);
        }
      });
      if (block) {
        it(`${entry.id}: block body size and hash match the header`, () => {
          assert.equal(blockBodySize(block), header.body.blockBodySize);
          assert.equal(hex(blockBodyHash(block)), hex(header.body.blockBodyHash));
        });
      }
    }
  });
}
