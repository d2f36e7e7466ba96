// Block headers, Shelley to Conway. The header body's original bytes are kept: the KES signature and the
// block hash are over the bytes as received, never over a re-encoding.
//   Praos  (Babbage, Conway) body, 10 items: [block_number, slot, prev_hash|null, issuer_vkey, vrf_vkey,
//     vrf_result [output, proof], block_body_size, block_body_hash, opcert [hot_vkey, n, kes_period, sigma],
//     protocol_version [major, minor]]
//   TPraos (Shelley..Alonzo) body, 15 items: [block_number, slot, prev_hash|null, issuer_vkey, vrf_vkey,
//     nonce_vrf [output, proof], leader_vrf [output, proof], block_body_size, block_body_hash,
//     hot_vkey, n, kes_period, sigma, protocol_major, protocol_minor]
import { blake2b224, blake2b256 } from "../crypto/hash.ts";
import { KesSigningKey, kesSignatureSize } from "../crypto/kes.ts";
import { asArray, asBytes, asUint, type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { cborArrayItems } from "../codec/cbor-raw.ts";

export interface VrfResult {
  readonly output: Uint8Array;
  readonly proof: Uint8Array;
}

export interface HeaderOpCert {
  readonly hotVkey: Uint8Array;
  readonly sequenceNumber: bigint;
  readonly kesPeriod: bigint;
  readonly sigma: Uint8Array;
}

export interface HeaderBody {
  /** u64 on the wire: bigint, so every value a peer can send is represented exactly. */
  readonly blockNumber: bigint;
  readonly slot: bigint;
  readonly prevHash: Uint8Array | null;
  readonly issuerVkey: Uint8Array;
  readonly vrfVkey: Uint8Array;
  /** Praos: the single VRF result. TPraos: the leader VRF result. */
  readonly leaderVrf: VrfResult;
  /** TPraos only: the nonce VRF result. */
  readonly nonceVrf?: VrfResult;
  readonly blockBodySize: number;
  readonly blockBodyHash: Uint8Array;
  readonly opcert: HeaderOpCert;
  readonly protocolVersion: readonly [number, number];
}

export interface Header {
  readonly protocol: "Praos" | "TPraos";
  readonly body: HeaderBody;
  /** The header body exactly as received: what the KES signature signs. */
  readonly bodyBytes: Uint8Array;
  readonly kesSignature: Uint8Array;
  /** The whole header as received. */
  readonly bytes: Uint8Array;
  /** Blake2b-256 of the header bytes: the block hash. */
  readonly hash: Uint8Array;
}

export class HeaderDecodeError extends Error {
  override name = "HeaderDecodeError";
}

function num(value: CborValue, what: string): number {
  const v = asUint(value, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeaderDecodeError(`${what} ${v} is out of range`);
  return Number(v);
}

/** VRF results keep whatever byte lengths arrived: a wrong size is a proof failure, judged by validation. */
function vrfResult(value: CborValue, what: string): VrfResult {
  const [output, proof] = asArray(value, what, 2);
  return { output: asBytes(output, `${what} output`), proof: asBytes(proof, `${what} proof`) };
}

function decodeBody(items: CborValue[]): { protocol: Header["protocol"]; body: HeaderBody } {
  const prevHash = items[2] === null ? null : asBytes(items[2], "previous hash", 32);
  const common = {
    blockNumber: asUint(items[0], "block number"),
    slot: asUint(items[1], "slot"),
    prevHash,
    issuerVkey: asBytes(items[3], "issuer key", 32),
    vrfVkey: asBytes(items[4], "VRF key", 32),
  };
  if (items.length === 10) {
    const oc = asArray(items[8], "operational certificate", 4);
    const pv = asArray(items[9], "protocol version", 2);
    return {
      protocol: "Praos",
      body: {
        ...common,
        leaderVrf: vrfResult(items[5], "VRF result"),
        blockBodySize: num(items[6], "block body size"),
        blockBodyHash: asBytes(items[7], "block body hash", 32),
        opcert: {
          hotVkey: asBytes(oc[0], "hot KES key", 32),
          sequenceNumber: asUint(oc[1], "opcert sequence number"),
          kesPeriod: asUint(oc[2], "opcert KES period"),
          sigma: asBytes(oc[3], "opcert signature", 64),
        },
        protocolVersion: [num(pv[0], "protocol major"), num(pv[1], "protocol minor")],
      },
    };
  }
  if (items.length === 15) {
    return {
      protocol: "TPraos",
      body: {
        ...common,
        nonceVrf: vrfResult(items[5], "nonce VRF"),
        leaderVrf: vrfResult(items[6], "leader VRF"),
        blockBodySize: num(items[7], "block body size"),
        blockBodyHash: asBytes(items[8], "block body hash", 32),
        opcert: {
          hotVkey: asBytes(items[9], "hot KES key", 32),
          sequenceNumber: asUint(items[10], "opcert sequence number"),
          kesPeriod: asUint(items[11], "opcert KES period"),
          sigma: asBytes(items[12], "opcert signature", 64),
        },
        protocolVersion: [num(items[13], "protocol major"), num(items[14], "protocol minor")],
      },
    };
  }
  throw new HeaderDecodeError(`header body has ${items.length} items; expected 10 (Praos) or 15 (TPraos)`);
}

/** Decode a header ([body, kes_signature]); throws HeaderDecodeError saying what is wrong. */
export function decodeHeader(bytes: Uint8Array): Header {
  try {
    const parts = cborArrayItems(bytes);
    if (parts.length !== 2) throw new HeaderDecodeError(`header has ${parts.length} items; expected [body, signature]`);
    const [bodyBytes, sigBytes] = parts as [Uint8Array, Uint8Array];
    const end = bodyBytes.byteOffset - bytes.byteOffset + bodyBytes.length + sigBytes.length;
    if (end !== bytes.length) throw new HeaderDecodeError("trailing bytes after the header");
    const { protocol, body } = decodeBody(asArray(decodeCbor(bodyBytes), "header body"));
    const kesSignature = asBytes(decodeCbor(sigBytes), "KES signature", kesSignatureSize());
    return { protocol, body, bodyBytes, kesSignature, bytes, hash: blake2b256(bytes) };
  } catch (error) {
    if (error instanceof HeaderDecodeError) throw error;
    throw new HeaderDecodeError(`malformed header: ${(error as Error).message}`, { cause: error });
  }
}

/** Pool id of the header's issuer: Blake2b-224 of the cold verification key. */
export function issuerPoolId(header: Header): Uint8Array {
  return blake2b224(header.body.issuerVkey);
}

/** Encode a Praos header body (canonical CBOR). */
export function encodePraosHeaderBody(body: HeaderBody): Uint8Array {
  const { opcert } = body;
  return encodeCbor([
    body.blockNumber,
    body.slot,
    body.prevHash,
    body.issuerVkey,
    body.vrfVkey,
    [body.leaderVrf.output, body.leaderVrf.proof],
    body.blockBodySize,
    body.blockBodyHash,
    [opcert.hotVkey, opcert.sequenceNumber, opcert.kesPeriod, opcert.sigma],
    [body.protocolVersion[0], body.protocolVersion[1]],
  ]);
}

/** Assemble a Praos header from an encoded body and its KES signature. */
export function assemblePraosHeader(bodyBytes: Uint8Array, kesSignature: Uint8Array): Header {
  const sig = encodeCbor(kesSignature);
  const bytes = new Uint8Array(1 + bodyBytes.length + sig.length);
  bytes[0] = 0x82;
  bytes.set(bodyBytes, 1);
  bytes.set(sig, 1 + bodyBytes.length);
  return decodeHeader(bytes);
}

/** Encode and sign a Praos header with a KES key already evolved to the header's KES period offset. */
export function signPraosHeader(body: HeaderBody, kesKey: KesSigningKey): Header {
  const bodyBytes = encodePraosHeaderBody(body);
  return assemblePraosHeader(bodyBytes, kesKey.sign(bodyBytes));
}
