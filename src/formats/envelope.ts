// cardano-cli text envelopes: {"type", "description", "cborHex"}, written exactly as cardano-cli writes them
// (4-space indentation, that key order, trailing newline) so files are byte-identical.
import { hexToBytes, bytesToHex } from "../crypto/bytes.ts";
import { InputError } from "./errors.ts";
import { ENVELOPE_LIMIT, readInputFile } from "./files.ts";
import { findDuplicateKey } from "./json-duplicates.ts";

export interface TextEnvelope {
  readonly type: string;
  readonly description: string;
  readonly cbor: Uint8Array;
}

export function renderEnvelope(envelope: TextEnvelope): string {
  const json = { type: envelope.type, description: envelope.description, cborHex: bytesToHex(envelope.cbor) };
  return `${JSON.stringify(json, null, 4)}\n`;
}

export function parseEnvelope(text: string, where: string): TextEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(where, "is not a text envelope (not valid JSON)");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError(where, "is not a text envelope (expected a JSON object with type, description, cborHex)");
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const shown = /^[A-Za-z0-9_]{1,40}$/.test(duplicate) ? `"${duplicate}"` : "a key";
    throw new InputError(where, `text envelope gives ${shown} twice (which one is meant is ambiguous)`);
  }
  const { type, description, cborHex } = json as Record<string, unknown>;
  if (typeof type !== "string") throw new InputError(where, 'text envelope has no "type" string');
  if (typeof cborHex !== "string") throw new InputError(where, 'text envelope has no "cborHex" string');
  if (description !== undefined && typeof description !== "string") {
    throw new InputError(where, 'text envelope "description" must be a string');
  }
  let cbor: Uint8Array;
  try {
    cbor = hexToBytes(cborHex);
  } catch {
    throw new InputError(where, '"cborHex" is not valid hex');
  }
  return { type, description: description ?? "", cbor };
}

export function readEnvelopeFile(path: string): TextEnvelope {
  const bytes = readInputFile(path, ENVELOPE_LIMIT);
  return parseEnvelope(bytes.toString("utf8"), path);
}
