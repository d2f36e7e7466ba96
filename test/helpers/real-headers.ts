// Loads the real headers listed in test/fixtures/headers/real-headers*.json, from inline hex or from the
// block/header file the entry's source names (mapped into test/fixtures/headers).
import { decodeBlock, decodeEraBlock, type Block } from "../../src/chain/block.ts";
import { decodeHeader, type Header } from "../../src/chain/header.ts";
import { fixtureFiles, readFixture, readFixtureJson, unhex } from "./fixtures.ts";

export interface RealHeaderEntry {
  id: string;
  network: string;
  source: string;
  header_cbor_hex?: string;
  epoch_nonce?: string;
  decoded_from_cbor: {
    block_number: number;
    slot: number;
    issuer_vkey: string;
    vrf_vkey: string;
    vrf_output: string;
    vrf_proof: string;
    block_body_size: number;
    block_body_hash: string;
    opcert: { hot_vkey: string; sequence_number: number; kes_period: number; sigma: string };
    protocol_version: [number, number];
  };
  derived_by_collector: Record<string, string | number>;
  collector_checks: Record<string, boolean>;
}

export interface RealHeader {
  entry: RealHeaderEntry;
  header: Header;
  block?: Block;
}

function load(entry: RealHeaderEntry): RealHeader {
  if (entry.header_cbor_hex) return { entry, header: decodeHeader(unhex(entry.header_cbor_hex)) };
  const path = /^(\S+)/.exec(entry.source)![1]!;
  const name = path.split("/").pop()!;
  if (path.startsWith("real-blocks/pallas/")) {
    const { block } = decodeEraBlock(unhex(readFixture("headers/blocks/pallas", name).toString("utf8").trim()));
    return { entry, header: block.header, block };
  }
  if (path.startsWith("real-blocks/gouroboros/")) {
    const block = decodeBlock(unhex(readFixture("headers/blocks/gouroboros", name).toString("utf8").trim()));
    return { entry, header: block.header, block };
  }
  if (path.startsWith("amaru-headers/")) return { entry, header: decodeHeader(readFixture("headers", name)) };
  throw new Error(`${entry.id}: cannot find the bytes named by its source "${path}"`);
}

export function loadRealHeaders(): { file: string; headers: RealHeader[] }[] {
  return fixtureFiles("headers", /^real-headers.*\.json$/).map((file) => ({
    file,
    headers: readFixtureJson<{ headers: RealHeaderEntry[] }>("headers", file).headers.map(load),
  }));
}
