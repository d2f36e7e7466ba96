// The reason in local tx-submission's MsgRejectTx, encoded as cardano-node encodes the ledger's ApplyTxErr for a
// Conway transaction: the hard-fork combinator's "right era" wrapper [x] around [era_index, failures], where
// Conway is era index 6 and failures is cardano-ledger's ApplyTxError, a list of ConwayLedgerPredFailure:
//   [1, utxow]   ConwayUtxowFailure, utxow = [0, utxo] UtxoFailure | [2, set of key hashes] MissingVKeyWitnesses
//   utxo = [1, set of [txid, ix]] BadInputsUTxO | [2, [[start?], [end?]], slot] OutsideValidityIntervalUTxO
//        | [3, size, max] MaxTxSizeUTxO | [4] InputSetEmptyUTxO | [5, minimum, paid] FeeTooSmallUTxO
//        | [6, consumed, produced] ValueNotConservedUTxO (ada-only values are plain coins)
//   [7, text]   ConwayMempoolFailure: every other failure, with our one-line message (simplified: cardano-node
//                would send the failure's own constructor, e.g. a certificate's under ConwayCertsFailure 2).
// A mempool refusal that is not a ledger failure (duplicate, mempool full) and a transaction our decoder cannot
// read are sent as ConwayMempoolFailure with the message too.
import type { LedgerFailure } from "../ledger/apply-tx.ts";
import { valueToCbor } from "../ledger/value.ts";
import { type CborValue, encodeCbor } from "../codec/cbor.ts";

/** The hard-fork index of Conway, the era every transaction we accept is in. */
export const CONWAY_HFC_INDEX = 6;

const hex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const txIn = (ref: string): CborValue => {
  const [id, ix] = ref.split("#");
  return [hex(id!), Number(ix)];
};
// Sets are tag 258 in Conway's encoding; cardano-node also accepts and sends plain arrays for decoding, and
// gouroboros reads either, so plain sorted arrays are sent (simplified).
const utxo = (...items: CborValue[]): CborValue => [1, [0, items]];
const mempoolFailure = (text: string): CborValue => [7, text];

function encodeFailure(f: LedgerFailure): CborValue {
  switch (f.kind) {
    case "BadInputsUTxO":
      return utxo(1, [...f.inputs].sort().map(txIn));
    case "ExpiredUTxO":
      return utxo(2, [[], [f.ttl]], f.slot);
    case "OutsideValidityIntervalUTxO":
      return utxo(2, [[f.validityStart], []], f.slot);
    case "MaxTxSizeUTxO":
      return utxo(3, f.size, f.max);
    case "InputSetEmptyUTxO":
      return utxo(4);
    case "FeeTooSmallUTxO":
      return utxo(5, f.minimum, f.paid);
    case "ValueNotConservedUTxO":
      return utxo(6, valueToCbor(f.consumed), valueToCbor(f.produced));
    case "MissingVKeyWitnessesUTXOW":
      return [1, [2, [...f.keyHashes].sort().map(hex)]];
    default:
      return mempoolFailure(f.message);
  }
}

/** MsgRejectTx's reason for ledger failures (at least one). */
export function encodeApplyTxErr(failures: readonly LedgerFailure[]): Uint8Array {
  return encodeCbor([[CONWAY_HFC_INDEX, failures.map(encodeFailure)]]);
}

/** MsgRejectTx's reason for a refusal that carries only a message (mempool full, duplicate, undecodable). */
export function encodeMempoolRefusal(message: string): Uint8Array {
  return encodeCbor([[CONWAY_HFC_INDEX, [mempoolFailure(message)]]]);
}
