// Byte ranges of CBOR items. cbor-x decodes values but not where they sit; Cardano hashes and signs the bytes
// exactly as received (header body, block body parts), so the chain codecs need each item's original slice.
// This walks item heads only (no value decoding) and rejects truncated or absurdly nested input.
//
// The codec stands on nothing else in src/ (as pallas-codec does), so it joins byte arrays itself.

const MAX_DEPTH = 256;

export class CborRangeError extends Error {
  override name = "CborRangeError";
}

function readHead(bytes: Uint8Array, offset: number): { major: number; info: number; value: number; next: number } {
  if (offset >= bytes.length) throw new CborRangeError("truncated CBOR: item head past the end");
  const first = bytes[offset]!;
  const major = first >> 5;
  const info = first & 0x1f;
  let value = info;
  let next = offset + 1;
  if (info >= 24 && info <= 27) {
    const size = 1 << (info - 24);
    if (next + size > bytes.length) throw new CborRangeError("truncated CBOR: length past the end");
    value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + bytes[next + i]!;
    next += size;
  } else if (info >= 28 && info <= 30) {
    throw new CborRangeError(`malformed CBOR: reserved additional information ${info}`);
  }
  return { major, info, value, next };
}

/** Offset just past the CBOR item that starts at `offset`. */
export function cborItemEnd(bytes: Uint8Array, offset = 0, depth = 0): number {
  if (depth > MAX_DEPTH) throw new CborRangeError("CBOR nested too deeply");
  const { major, info, value, next } = readHead(bytes, offset);
  const indefinite = info === 31;
  switch (major) {
    case 0:
    case 1:
      if (indefinite) throw new CborRangeError("malformed CBOR: indefinite integer");
      return next;
    case 2:
    case 3: {
      if (!indefinite) {
        const end = next + value;
        if (end > bytes.length) throw new CborRangeError("truncated CBOR: string past the end");
        return end;
      }
      let p = next;
      while (bytes[p] !== 0xff) p = cborItemEnd(bytes, p, depth + 1);
      return p + 1;
    }
    case 4:
    case 5: {
      const perEntry = major === 5 ? 2 : 1;
      let p = next;
      if (indefinite) {
        while (true) {
          if (p >= bytes.length) throw new CborRangeError("truncated CBOR: no break");
          if (bytes[p] === 0xff) return p + 1;
          p = cborItemEnd(bytes, p, depth + 1);
        }
      }
      for (let i = 0; i < value * perEntry; i++) p = cborItemEnd(bytes, p, depth + 1);
      return p;
    }
    case 6:
      return cborItemEnd(bytes, next, depth + 1);
    default:
      if (indefinite) throw new CborRangeError("malformed CBOR: unexpected break");
      return next;
  }
}

/** The original byte slices of the elements of the CBOR array at `offset` (definite or indefinite). */
export function cborArrayItems(bytes: Uint8Array, offset = 0): Uint8Array[] {
  const { major, info, value, next } = readHead(bytes, offset);
  if (major !== 4) throw new CborRangeError("expected a CBOR array");
  const items: Uint8Array[] = [];
  let p = next;
  if (info === 31) {
    while (true) {
      if (p >= bytes.length) throw new CborRangeError("truncated CBOR: no break");
      if (bytes[p] === 0xff) break;
      const end = cborItemEnd(bytes, p);
      items.push(bytes.subarray(p, end));
      p = end;
    }
  } else {
    for (let i = 0; i < value; i++) {
      const end = cborItemEnd(bytes, p);
      items.push(bytes.subarray(p, end));
      p = end;
    }
  }
  return items;
}

/** The original byte slices of the keys and values of the CBOR map at `offset` (definite or indefinite). */
export function cborMapEntries(bytes: Uint8Array, offset = 0): [Uint8Array, Uint8Array][] {
  const { major, info, value, next } = readHead(bytes, offset);
  if (major !== 5) throw new CborRangeError("expected a CBOR map");
  const out: [Uint8Array, Uint8Array][] = [];
  let p = next;
  const take = () => {
    const keyEnd = cborItemEnd(bytes, p);
    const valueEnd = cborItemEnd(bytes, keyEnd);
    out.push([bytes.subarray(p, keyEnd), bytes.subarray(keyEnd, valueEnd)]);
    p = valueEnd;
  };
  if (info === 31) {
    while (true) {
      if (p >= bytes.length) throw new CborRangeError("truncated CBOR: no break");
      if (bytes[p] === 0xff) break;
      take();
    }
  } else {
    for (let i = 0; i < value; i++) take();
  }
  return out;
}

/** The head of a CBOR item of major type `major` with argument `n` (a length or small integer). */
export function cborHead(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  const b = new Uint8Array(5);
  b[0] = m | 26;
  new DataView(b.buffer).setUint32(1, n);
  return b;
}

/** A definite-length CBOR array of items already encoded (their bytes kept exactly). */
export function cborArrayOfRaw(items: readonly Uint8Array[]): Uint8Array {
  return concatBytes(cborHead(4, items.length), ...items);
}

/** A definite-length CBOR map of key/value pairs already encoded. */
export function cborMapOfRaw(entries: readonly [Uint8Array, Uint8Array][]): Uint8Array {
  return concatBytes(cborHead(5, entries.length), ...entries.flat());
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
