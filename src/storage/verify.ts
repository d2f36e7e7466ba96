// A read-only check of a chain database (what `poolfleet-cli db verify` runs): it opens chain.dat and chain.idx
// for reading only and never repairs (no truncation, no index rewrite), so it is safe on a live node's database.
// Every record's checksum; every block decodes, its body matches its header's size and hash, and it follows the
// one before (block number + 1, later slot, prev-hash = that block's hash); every index record matches its block.
// Given the network's rules, each header is also re-validated as the node would, without the ledger: protocol
// version, KES window, opcert signature, KES signature, opcert counters, and the VRF proof under the epoch nonce
// (evolved from the headers themselves). What needs the ledger is not checked: that the VRF key is the pool's
// registered one, the leader value against the pool's own stake (only against the bound any pool has, stake 1),
// and the transactions. The node re-checks all of that when it replays at start.
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { type Block, blockBodyHash, blockBodySize, decodeBlock } from "../chain/block.ts";
import { issuerPoolId } from "../chain/header.ts";
import { applyHeader, type ChainRules, type ChainState, initialChainState } from "../consensus/chain-state.ts";
import type { PoolView } from "../consensus/header-validation.ts";
import { bytesToHex, equalBytes } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";

const DATA_HEAD = 8;
const INDEX_RECORD = 60;
const MAX_BLOCK_BYTES = 4 * 1024 * 1024;
/** Problems listed before the rest are only counted (a database damaged throughout would print forever). */
const MAX_PROBLEMS = 200;

export interface VerifyOptions {
  /** Re-validate headers with these rules (the network's), starting from this Shelley genesis hash. */
  readonly headers?: { readonly rules: ChainRules; readonly genesisHash: Uint8Array };
}

export interface VerifyReport {
  readonly blocks: number;
  readonly dataBytes: number;
  readonly indexRecords: number;
  readonly tip: { readonly blockNo: string; readonly slot: string; readonly hash: string } | null;
  /** Headers re-validated with the network's rules (null: no rules given). */
  readonly headersValidated: number | null;
  /** Each a line naming the block number and byte offset; empty when the database is sound. */
  readonly problems: readonly string[];
  /** Worth knowing but not damage (e.g. a block written but not yet indexed on a live node). */
  readonly notes: readonly string[];
}

interface Seen {
  readonly blockNo: bigint;
  readonly slot: bigint;
  readonly hash: Uint8Array;
}

export function verifyChainDb(dir: string, options: VerifyOptions = {}): VerifyReport {
  const problems: string[] = [];
  let more = 0;
  const problem = (line: string) => (problems.length < MAX_PROBLEMS ? problems.push(line) : more++);
  const notes: string[] = [];
  const dataPath = join(dir, "chain.dat");
  const indexPath = join(dir, "chain.idx");
  if (!existsSync(dataPath))
    return {
      blocks: 0,
      dataBytes: 0,
      indexRecords: 0,
      tip: null,
      headersValidated: null,
      problems: [`no chain.dat in ${dir}`],
      notes,
    };
  const data = openSync(dataPath, "r");
  const index = existsSync(indexPath) ? openSync(indexPath, "r") : undefined;
  try {
    // The index first: a node writes a block's data before its index record, so every record read has its data.
    const indexSize = index === undefined ? 0 : fstatSync(index).size;
    const dataSize = fstatSync(data).size;
    if (index === undefined) problem(`no chain.idx in ${dir} (the node rebuilds it at its next start)`);
    const indexRecords = Math.floor(indexSize / INDEX_RECORD);
    const indexBytes = Buffer.alloc(indexRecords * INDEX_RECORD);
    if (index !== undefined && indexRecords > 0) readSync(index, indexBytes, 0, indexBytes.length, 0);
    if (indexSize % INDEX_RECORD !== 0)
      problem(
        `chain.idx ends in a torn record: ${indexSize % INDEX_RECORD} bytes at offset ${indexRecords * INDEX_RECORD}`,
      );

    let state: ChainState | undefined = options.headers && initialChainState(options.headers.genesisHash);
    let validated = 0;
    let prev: Seen | undefined;
    let count = 0;
    let offset = 0;
    const head = Buffer.alloc(DATA_HEAD);
    while (offset < dataSize) {
      const where = `record ${count} at offset ${offset}`;
      if (offset + DATA_HEAD > dataSize) {
        tornTail(`${where}: only ${dataSize - offset} bytes of a record header`);
        break;
      }
      readSync(data, head, 0, DATA_HEAD, offset);
      const length = head.readUInt32BE(0);
      if (length === 0 || length > MAX_BLOCK_BYTES) {
        problem(
          `${where}: impossible block length ${length}; the rest of chain.dat (${dataSize - offset} bytes) cannot be read`,
        );
        break;
      }
      if (offset + DATA_HEAD + length > dataSize) {
        tornTail(`${where}: cut short, ${dataSize - offset - DATA_HEAD} of ${length} bytes`);
        break;
      }
      const bytes = Buffer.alloc(length);
      readSync(data, bytes, 0, length, offset + DATA_HEAD);
      const checksumOk = crc32(bytes) === head.readUInt32BE(4);
      let block: Block | undefined;
      if (!checksumOk) problem(`${where}: fails its checksum`);
      else {
        try {
          block = decodeBlock(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
        } catch (error) {
          problem(`${where}: does not decode (${(error as Error).message})`);
        }
      }
      if (block) {
        const h = block.header.body;
        const name = `block ${h.blockNumber} (slot ${h.slot}, ${where})`;
        if (BigInt(blockBodySize(block)) !== BigInt(h.blockBodySize))
          problem(`${name}: body is ${blockBodySize(block)} bytes, its header says ${h.blockBodySize}`);
        else if (!equalBytes(blockBodyHash(block), h.blockBodyHash))
          problem(`${name}: body does not hash to its header's body hash`);
        if (prev === undefined && count === 0 && h.prevHash !== null)
          problem(`${name}: the first block does not start from genesis (prev-hash ${bytesToHex(h.prevHash)})`);
        if (prev !== undefined) {
          if (h.blockNumber !== prev.blockNo + 1n)
            problem(
              `${name}: follows block ${prev.blockNo}${h.blockNumber > prev.blockNo + 1n ? ` (gap: ${h.blockNumber - prev.blockNo - 1n} missing)` : ""}`,
            );
          if (h.slot <= prev.slot) problem(`${name}: slot is not after the previous block's slot ${prev.slot}`);
          if (h.prevHash === null || !equalBytes(h.prevHash, prev.hash))
            problem(
              `${name}: prev-hash ${h.prevHash ? bytesToHex(h.prevHash) : "genesis"} is not block ${prev.blockNo}'s hash ${bytesToHex(prev.hash)}`,
            );
        }
        if (state && options.headers) {
          const stake = new Map<string, PoolView>([
            [
              bytesToHex(issuerPoolId(block.header)),
              { stake: { num: 1n, den: 1n }, vrfKeyHash: blake2b256(h.vrfVkey) },
            ],
          ]);
          const r = applyHeader(state, block.header, options.headers.rules, stake);
          if (r.ok) {
            state = r.state;
            validated++;
          } else {
            problem(`${name}: invalid header: ${r.errors.map((e) => e.message).join("; ")}`);
            notes.push(`header validation stopped at block ${h.blockNumber}: the headers after it depend on it`);
            state = undefined;
          }
        }
        prev = { blockNo: h.blockNumber, slot: h.slot, hash: block.header.hash };
      } else {
        // The next block's link cannot be judged against an unreadable one: no second problem for one fault.
        prev = undefined;
        if (state) {
          notes.push(`header validation stopped at ${where}: the headers after it depend on it`);
          state = undefined;
        }
      }
      if (count < indexRecords) checkIndex(count, offset, block);
      count++;
      offset += DATA_HEAD + length;
    }
    if (indexRecords > count)
      problem(
        `chain.idx lists ${indexRecords} blocks, chain.dat holds ${count}: records from ${count} on point past the data`,
      );
    else if (count > indexRecords && index !== undefined)
      notes.push(
        `${count - indexRecords} block(s) after the last indexed one are not indexed yet (a live node writes the index just after; a stopped node re-indexes them at start)`,
      );
    return {
      blocks: count,
      dataBytes: dataSize,
      indexRecords,
      tip: prev ? { blockNo: `${prev.blockNo}`, slot: `${prev.slot}`, hash: bytesToHex(prev.hash) } : null,
      headersValidated: options.headers ? validated : null,
      problems: more > 0 ? [...problems, `... and ${more} more problems`] : problems,
      notes,
    };

    function checkIndex(i: number, at: number, block: Block | undefined): void {
      const r = indexBytes.subarray(i * INDEX_RECORD, (i + 1) * INDEX_RECORD);
      const where = `index record ${i} (offset ${i * INDEX_RECORD} in chain.idx)`;
      if (r.readUInt32BE(56) !== crc32(r.subarray(0, 56))) return void problem(`${where}: fails its checksum`);
      const recordOffset = Number(r.readBigUInt64BE(0));
      if (recordOffset !== at) return void problem(`${where}: points at offset ${recordOffset}, the block is at ${at}`);
      if (!block) return;
      const h = block.header.body;
      if (
        r.readBigUInt64BE(8) !== h.slot ||
        r.readBigUInt64BE(16) !== h.blockNumber ||
        !equalBytes(r.subarray(24, 56), block.header.hash)
      )
        problem(`${where}: slot, block number or hash differ from block ${h.blockNumber} at offset ${at}`);
    }

    function tornTail(line: string): void {
      // A live node may be writing this very record; a tail that grew since we looked is in flight, not damage.
      if (fstatSync(data).size > dataSize) notes.push(`${line} (being written: the file grew while checking)`);
      else problem(`${line} (a torn write; the node cuts it at its next start)`);
    }
  } finally {
    closeSync(data);
    if (index !== undefined) closeSync(index);
  }
}
