// Transactions as blocks carry them (Babbage/Conway CDDL): bodies and witness sets are separate block parts; a
// transaction's id is Blake2b-256 of its body's bytes as received, and every vkey witness signs that id.
// Decoding keeps what the rules need — Babbage/Conway outputs (tx-output.ts), collateral, reference inputs,
// required signers, the script integrity hash, Plutus scripts, datums and redeemers (plutus-witness.ts), the
// is_valid flag — and lists the fields poolfleet's ledger does not support (governance, bootstrap witnesses), so
// the ledger can reject them with a clear error instead of ignoring them.
import { cborArrayItems, cborArrayOfRaw, cborItemEnd, cborMapEntries, cborMapOfRaw } from "../codec/cbor-raw.ts";
import type { Block } from "../chain/block.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { blake2b224, blake2b256, sha3_256 } from "../crypto/hash.ts";
import { conwayBodyError, duplicateCertificate } from "./conway-body.ts";
import { ed25519Verify } from "../crypto/ed25519.ts";
import { asArray, asBytes, asUint, type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { decodeNativeScripts, type NativeScriptWitness } from "./native-script.ts";
import { decodePlutusWitnesses, type PlutusWitnesses } from "./plutus-witness.ts";
import { decodeTxOutput, type SizedTxOutput } from "./tx-output.ts";
import { decodeMultiAsset, type MultiAsset, NO_ASSETS } from "./value.ts";

export { decodeTxOutput, type SizedTxOutput, type TxOutput } from "./tx-output.ts";

export interface TxInput {
  readonly txId: Uint8Array;
  readonly index: number;
}

export interface TxBody {
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
  /** A set: no two alike (Conway refuses duplicates when decoding; earlier eras collapse them). */
  readonly inputs: TxInput[];
  readonly outputs: SizedTxOutput[];
  readonly fee: bigint;
  readonly ttl?: bigint;
  readonly validityStart?: bigint;
  readonly certificates: CborValue[];
  /** Reward account (hex) to amount. */
  readonly withdrawals: Map<string, bigint>;
  /** Body key 7: Blake2b-256 of the transaction's auxiliary data. */
  readonly auxDataHash?: Uint8Array;
  /** Body key 15: the network the transaction is meant for (0 testnets, 1 mainnet). */
  readonly networkId?: number;
  /** Body key 22: lovelace given to the treasury (Conway); 0 when absent. */
  readonly donation: bigint;
  /** Body key 21: the treasury the transaction states it sees (Conway `currentTreasuryValue`). */
  readonly currentTreasuryValue?: bigint;
  /** Body key 9: tokens minted (> 0) and burned (< 0) by policy; empty when the body has no mint. */
  readonly mint: MultiAsset;
  /** Body key 11: the script integrity hash (redeemers, datums and the cost models' language views). */
  readonly scriptDataHash?: Uint8Array;
  /** Body key 13: inputs that pay the fee should a Plutus script fail (a set). */
  readonly collateral: TxInput[];
  /** Body key 14: key hashes (hex) that must sign, for scripts to see. */
  readonly requiredSigners: string[];
  /** Body key 16: the output that takes back what collateral is not consumed (Babbage). */
  readonly collateralReturn?: SizedTxOutput;
  /** Body key 17: the lovelace the collateral pays when consumed (Babbage). */
  readonly totalCollateral?: bigint;
  /** Body key 18: outputs read but not spent (Babbage; a set). */
  readonly referenceInputs: TxInput[];
  /** Body key 19: voting procedures (Conway) as decoded, voter to action to vote; judged by votes.ts. */
  readonly votes?: CborValue;
  /** Body key 20: proposal procedures (Conway), each as decoded; judged by proposals.ts. */
  readonly proposals?: CborValue[];
  /** Body fields present that the ledger does not implement, by name. */
  readonly unsupported: string[];
}

export interface VkeyWitness {
  readonly vkey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface WitnessSet {
  readonly vkeys: VkeyWitness[];
  /** Witness key 1: native scripts with their hashes. */
  readonly nativeScripts: NativeScriptWitness[];
  /** Witness keys 3-7: Plutus scripts, datums and redeemers. */
  readonly plutus: PlutusWitnesses;
  /** Witness key 2: bootstrap (Byron) witnesses. */
  readonly bootstraps?: BootstrapWitness[];
  /** Witness kinds present that the ledger does not implement. */
  readonly unsupported: string[];
}

/** A bootstrap witness [vkey, signature, chain code, attributes] (the attributes' bytes as given). */
export interface BootstrapWitness {
  readonly vkey: Uint8Array;
  readonly signature: Uint8Array;
  readonly chainCode: Uint8Array;
  readonly attributes: Uint8Array;
}

/**
 * `bootstrapWitKeyHash` (cardano-ledger Keys/Bootstrap.hs): Blake2b-224 of SHA3-256 of the Byron address root's
 * preimage [0, [0, vkey ‖ chain code], attributes], which is the root of the Byron address it unlocks.
 */
export function bootstrapKeyHash(w: BootstrapWitness): string {
  const prefix = Uint8Array.of(0x83, 0x00, 0x82, 0x00, 0x58, 0x40);
  return bytesToHex(blake2b224(sha3_256(Buffer.concat([prefix, w.vkey, w.chainCode, w.attributes]))));
}

export class TxDecodeError extends Error {
  override name = "TxDecodeError";
}

const UNSUPPORTED_BODY_FIELDS: Record<number, string> = {
  6: "protocol parameter update",
};
const UNSUPPORTED_WITNESS_FIELDS: Record<number, string> = {};

function entries(value: CborValue, what: string): CborValue[] {
  // Conway encodes sets as tag 258 arrays (decoded as Set); earlier eras as plain arrays.
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<CborValue>)];
  throw new TxDecodeError(`${what} must be an array or set`);
}

function asMap(value: CborValue, what: string): Map<CborValue, CborValue> {
  // cbor-x decodes maps as Map (mapsAsObjects is off).
  if (!(value instanceof Map)) throw new TxDecodeError(`${what} must be a CBOR map`);
  return value;
}

/**
 * A CBOR map with small-integer keys, values left as bytes: only the fields the ledger reads are decoded, so
 * content it does not model (Plutus data, with indefinite-length strings cbor-x cannot read) never blocks it.
 */
function fieldsOf(bytes: Uint8Array, what: string): Map<number, Uint8Array> {
  if (bytes[0] === undefined || bytes[0] >> 5 !== 5) throw new TxDecodeError(`${what} must be a CBOR map`);
  const fields = new Map<number, Uint8Array>();
  for (const [k, v] of cborMapEntries(bytes)) {
    const key = decodeCbor(k);
    if (typeof key !== "number") throw new TxDecodeError(`${what} has a non-integer key`);
    fields.set(key, v);
  }
  return fields;
}

/** The first protocol version of Conway, from which sets and maps with duplicates fail to decode. */
export const CONWAY_PROTOCOL_MAJOR = 9;

export interface DecodeOptions {
  /**
   * Protocol major version the bytes are decoded under (cardano-ledger's decoder version); Conway's rules when
   * not given. From 9, a set (tag 258 or a plain array) or map with two equal elements or keys does not decode
   * (`decodeSetLikeEnforceNoDuplicates`, `decodeMapLikeEnforceNoDuplicates`); before, duplicates collapse.
   */
  readonly protocolMajor?: number;
}

/** Inputs as a set: Conway refuses a repeated input when decoding; earlier versions keep the first of each. */
function inputSet(raw: CborValue[], strict: boolean, what = "input"): TxInput[] {
  const seen = new Map<string, number>();
  const inputs: TxInput[] = [];
  for (const [i, input] of raw.entries()) {
    if (!Array.isArray(input) || input.length !== 2)
      throw new TxDecodeError(`${what} ${i} must be [transaction id, index]`);
    const [txId, index] = input as [CborValue, CborValue];
    const parsed = {
      txId: asBytes(txId, `${what} ${i} transaction id`, 32),
      index: Number(asUint(index, `${what} ${i} index`)),
    };
    const ref = `${Buffer.from(parsed.txId).toString("hex")}#${parsed.index}`;
    const first = seen.get(ref);
    if (first !== undefined) {
      if (strict)
        throw new TxDecodeError(
          `${what}s are a set, but ${what} ${i} repeats ${what} ${first} (${ref}); Conway refuses duplicates`,
        );
      continue;
    }
    seen.set(ref, i);
    inputs.push(parsed);
  }
  return inputs;
}

export function decodeTxBody(bytes: Uint8Array, options: DecodeOptions = {}): TxBody {
  const strict = (options.protocolMajor ?? CONWAY_PROTOCOL_MAJOR) >= CONWAY_PROTOCOL_MAJOR;
  try {
    const f = fieldsOf(bytes, "transaction body");
    const field = (k: number): CborValue => (f.has(k) ? decodeCbor(f.get(k)!) : undefined);
    if (!f.has(0) || !f.has(1) || !f.has(2))
      throw new TxDecodeError("transaction body needs inputs (0), outputs (1) and fee (2)");
    const conwayError = strict ? conwayBodyError(f) : null;
    if (conwayError) throw new TxDecodeError(conwayError);
    const inputs = inputSet(entries(field(0), "inputs"), strict);
    const withdrawals = new Map<string, bigint>();
    if (f.has(5)) {
      for (const [account, amount] of asMap(field(5), "withdrawals")) {
        const hex = Buffer.from(asBytes(account, "reward account")).toString("hex");
        if (strict && withdrawals.has(hex))
          throw new TxDecodeError(`withdrawals name reward account ${hex} twice; Conway refuses duplicate keys`);
        withdrawals.set(hex, asUint(amount, "withdrawal"));
      }
    }
    const certificates = f.has(4) ? entries(field(4), "certificates") : [];
    const repeated = strict ? duplicateCertificate(certificates) : null;
    if (repeated)
      throw new TxDecodeError(
        `certificates are a set, but certificate ${repeated[0]} repeats certificate ${repeated[1]}; Conway refuses duplicates`,
      );
    const networkId = f.has(15) ? Number(asUint(field(15), "network id")) : undefined;
    if (networkId !== undefined && networkId > 1)
      throw new TxDecodeError(`network id (body key 15) must be 0 (testnets) or 1 (mainnet), not ${networkId}`);
    return {
      id: blake2b256(bytes),
      bytes,
      inputs,
      outputs: cborArrayItems(f.get(1)!).map((o, i) => decodeTxOutput(o, i, strict)),
      fee: asUint(field(2), "fee"),
      ...(f.has(3) && { ttl: asUint(field(3), "ttl") }),
      ...(f.has(7) && { auxDataHash: asBytes(field(7), "auxiliary data hash", 32) }),
      ...(f.has(8) && { validityStart: asUint(field(8), "validity interval start") }),
      ...(networkId !== undefined && { networkId }),
      certificates,
      withdrawals,
      donation: f.has(22) ? asUint(field(22), "treasury donation") : 0n,
      ...(f.has(21) && { currentTreasuryValue: asUint(field(21), "current treasury value") }),
      mint: f.has(9) ? decodeMultiAsset(f.get(9)!, "mint", "mint", strict) : NO_ASSETS,
      ...(f.has(11) && { scriptDataHash: asBytes(field(11), "script data hash", 32) }),
      collateral: f.has(13) ? inputSet(entries(field(13), "collateral inputs"), strict, "collateral input") : [],
      requiredSigners: f.has(14)
        ? entries(field(14), "required signers").map((h, i) => bytesToHex(asBytes(h, `required signer ${i}`, 28)))
        : [],
      ...(f.has(16) && { collateralReturn: decodeTxOutput(f.get(16)!, -1, strict) }),
      ...(f.has(17) && { totalCollateral: asUint(field(17), "total collateral") }),
      referenceInputs: f.has(18) ? inputSet(entries(field(18), "reference inputs"), strict, "reference input") : [],
      ...(f.has(19) && { votes: field(19) }),
      ...(f.has(20) && { proposals: entries(field(20), "proposal procedures") }),
      unsupported: [...f.keys()].filter((k) => k in UNSUPPORTED_BODY_FIELDS).map((k) => UNSUPPORTED_BODY_FIELDS[k]!),
    };
  } catch (error) {
    if (error instanceof TxDecodeError) throw error;
    throw new TxDecodeError(`malformed transaction body: ${(error as Error).message}`, { cause: error });
  }
}

export function decodeWitnessSet(bytes: Uint8Array): WitnessSet {
  try {
    const f = fieldsOf(bytes, "witness set");
    const vkeys = f.has(0)
      ? entries(decodeCbor(f.get(0)!), "vkey witnesses").map((w, i) => {
          const [vkey, signature] = w as [CborValue, CborValue];
          return {
            vkey: asBytes(vkey, `vkey witness ${i} key`, 32),
            signature: asBytes(signature, `vkey witness ${i} signature`, 64),
          };
        })
      : [];
    const unsupported = [...f.keys()]
      .filter((k) => k in UNSUPPORTED_WITNESS_FIELDS)
      .map((k) => UNSUPPORTED_WITNESS_FIELDS[k]!);
    const nativeScripts = f.has(1) ? decodeNativeScripts(f.get(1)!) : [];
    const bootstraps = f.has(2)
      ? entries(decodeCbor(f.get(2)!), "bootstrap witnesses").map((w, i) => {
          const [vkey, signature, chainCode, attributes] = asArray(w, `bootstrap witness ${i}`, 4);
          return {
            vkey: asBytes(vkey, `bootstrap witness ${i} key`, 32),
            signature: asBytes(signature, `bootstrap witness ${i} signature`, 64),
            chainCode: asBytes(chainCode, `bootstrap witness ${i} chain code`, 32),
            attributes: asBytes(attributes, `bootstrap witness ${i} attributes`),
          };
        })
      : [];
    return { vkeys, nativeScripts, plutus: decodePlutusWitnesses(f), unsupported, ...(f.has(2) && { bootstraps }) };
  } catch (error) {
    if (error instanceof TxDecodeError) throw error;
    throw new TxDecodeError(`malformed witness set: ${(error as Error).message}`, { cause: error });
  }
}

/** Every vkey witness is an Ed25519 signature of the transaction id. Returns the keys whose signature fails. */
export function invalidWitnesses(body: TxBody, witnesses: WitnessSet): Uint8Array[] {
  return [...witnesses.vkeys, ...(witnesses.bootstraps ?? [])]
    .filter((w) => !ed25519Verify(w.vkey, body.id, w.signature))
    .map((w) => w.vkey);
}

/** A transaction with the exact bytes of its parts, as carried in a block or submitted whole. */
export interface Tx {
  readonly body: TxBody;
  readonly witnesses: WitnessSet;
  readonly witnessBytes: Uint8Array;
  /** Auxiliary data (metadata) bytes, or null. */
  readonly auxBytes: Uint8Array | null;
  /**
   * Size in bytes of the transaction as a whole, [body, witnesses, true, auxiliary data or null] — what the
   * mempool holds and relays, the same whether the transaction was submitted whole or taken out of a block.
   */
  readonly size: number;
  /**
   * The size cardano-ledger charges the fee for and holds to maxTxSize (`sizeTxF`, Alonzo onwards): the list
   * [body, witnesses, auxiliary data or null] without the is_valid flag (`toCBORForSizeComputation`), one byte
   * less than `size`.
   */
  readonly ledgerSize: number;
  /**
   * The is_valid flag (Alonzo): false says a Plutus script fails, and the transaction then only pays its
   * collateral (cardano-ledger UTXOS). The ledger checks the claim by running the scripts.
   */
  readonly isValid: boolean;
}

function txFromParts(
  bodyBytes: Uint8Array,
  witnessBytes: Uint8Array,
  auxBytes: Uint8Array | null,
  options: DecodeOptions = {},
  isValid = true,
): Tx {
  return {
    isValid,
    body: decodeTxBody(bodyBytes, options),
    witnesses: decodeWitnessSet(witnessBytes),
    witnessBytes,
    auxBytes,
    size: 1 + bodyBytes.length + witnessBytes.length + 1 + (auxBytes ? auxBytes.length : 1),
    ledgerSize: 1 + bodyBytes.length + witnessBytes.length + (auxBytes ? auxBytes.length : 1),
  };
}

/** A whole transaction as submitted: [body, witness set, is_valid, auxiliary_data / null]. */
export function decodeTx(bytes: Uint8Array, options: DecodeOptions = {}): Tx {
  let items: Uint8Array[];
  try {
    items = cborArrayItems(bytes);
  } catch (error) {
    throw new TxDecodeError(`malformed transaction: ${(error as Error).message}`, { cause: error });
  }
  if (items.length !== 4 || cborItemEnd(bytes) !== bytes.length)
    throw new TxDecodeError("a transaction is a CBOR array [body, witness set, is_valid, auxiliary data]");
  const [bodyBytes, witnessBytes, validity, aux] = items as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  if (validity.length !== 1 || (validity[0] !== 0xf5 && validity[0] !== 0xf4))
    throw new TxDecodeError("a transaction's third element (is_valid) must be true or false");
  const auxBytes = aux.length === 1 && aux[0] === 0xf6 ? null : aux;
  return txFromParts(bodyBytes, witnessBytes, auxBytes, options, validity[0] === 0xf5);
}

/** The whole transaction as submitted and relayed, rebuilt from its own parts' bytes (the inverse of decodeTx). */
export function encodeTx(tx: Tx): Uint8Array {
  const validity = Uint8Array.of(tx.isValid ? 0xf5 : 0xf4);
  return cborArrayOfRaw([tx.body.bytes, tx.witnessBytes, validity, tx.auxBytes ?? Uint8Array.of(0xf6)]);
}

/**
 * The transactions of a block (Alonzo onwards: bodies, witness sets, auxiliary data by index, invalid
 * transaction indices), decoded under the protocol version the block's header states (Conway's when no header).
 */
export function blockTransactions(block: Pick<Block, "bodyParts"> & Partial<Pick<Block, "header">>): Tx[] {
  const options = { protocolMajor: block.header?.body.protocolVersion[0] ?? CONWAY_PROTOCOL_MAJOR };
  const [bodies, witnessSets, auxiliary, invalid] = block.bodyParts;
  if (!bodies || !witnessSets || !auxiliary || !invalid) throw new TxDecodeError("block has no transaction parts");
  try {
    const b = cborArrayItems(bodies);
    const w = cborArrayItems(witnessSets);
    if (b.length !== w.length)
      throw new TxDecodeError(`block has ${b.length} transaction bodies but ${w.length} witness sets`);
    const aux = new Map<number, Uint8Array>();
    for (const [k, v] of cborMapEntries(auxiliary)) {
      const index = decodeCbor(k);
      if (typeof index !== "number" || index >= b.length)
        throw new TxDecodeError("block auxiliary data is keyed by a transaction index that does not exist");
      aux.set(index, v);
    }
    const invalidIndices = new Set(cborArrayItems(invalid).map((i) => Number(asUint(decodeCbor(i), "invalid index"))));
    for (const i of invalidIndices)
      if (i >= b.length) throw new TxDecodeError(`block marks transaction ${i} invalid, which does not exist`);
    return b.map((bodyBytes, i) => txFromParts(bodyBytes, w[i]!, aux.get(i) ?? null, options, !invalidIndices.has(i)));
  } catch (error) {
    if (error instanceof TxDecodeError) throw error;
    throw new TxDecodeError(`malformed block body: ${(error as Error).message}`, { cause: error });
  }
}

/** The four body parts of a block carrying `txs`, each part's bytes built from the transactions' own. */
export function blockBodyParts(txs: readonly Tx[]): Uint8Array[] {
  const aux = txs.flatMap((t, i): [Uint8Array, Uint8Array][] => (t.auxBytes ? [[encodeCbor(i), t.auxBytes]] : []));
  return [
    cborArrayOfRaw(txs.map((t) => t.body.bytes)),
    cborArrayOfRaw(txs.map((t) => t.witnessBytes)),
    cborMapOfRaw(aux),
    cborArrayOfRaw(txs.flatMap((t, i) => (t.isValid ? [] : [encodeCbor(i)]))),
  ];
}
