// Certificates (Conway CDDL): stake registration, deregistration and delegation (Shelley and Conway forms), pool
// registration/update and retirement, and Conway's governance certificates — vote delegation and the combined
// delegation certificates, DRep registration, update and retirement, committee hot-key authorisation and
// resignation — with key or script credentials. The certificates Conway removed (genesis delegation, MIR) decode
// to "Unsupported", which the ledger rejects by name.
import { Tag } from "cbor-x";
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { rational, type Rational } from "../crypto/rational.ts";
import { asArray, asBytes, asUint, type CborValue } from "../codec/cbor.ts";

/**
 * A stake credential: a key hash (28 bytes, hex), or a script hash marked `script:` (so the two kinds never share
 * an account; cardano-ledger's `Credential` is `KeyHashObj` or `ScriptHashObj`).
 */
export type KeyHash = string;

const SCRIPT = "script:";
export const scriptCredential = (hash: string): KeyHash => `${SCRIPT}${hash}`;
/** The script hash of a script credential, or null for a key credential. */
export const credentialScript = (c: KeyHash): string | null => (c.startsWith(SCRIPT) ? c.slice(SCRIPT.length) : null);

export interface PoolParams {
  /** Pool id: Blake2b-224 of the cold verification key, hex. */
  readonly operator: string;
  readonly vrfKeyHash: string;
  readonly pledge: bigint;
  readonly cost: bigint;
  readonly margin: Rational;
  /** Reward account bytes (29: header + credential), hex. */
  readonly rewardAccount: string;
  readonly owners: KeyHash[];
  /** Relays and metadata are carried as they came, for re-encoding. */
  readonly relays: CborValue[];
  readonly metadata: CborValue;
}

export type Certificate =
  | { readonly kind: "StakeRegistration"; readonly credential: KeyHash; readonly deposit?: bigint }
  | { readonly kind: "StakeDeregistration"; readonly credential: KeyHash; readonly refund?: bigint }
  | { readonly kind: "StakeDelegation"; readonly credential: KeyHash; readonly poolId: string }
  | {
      readonly kind: "StakeRegistrationDelegation";
      readonly credential: KeyHash;
      readonly poolId: string;
      readonly deposit: bigint;
    }
  | { readonly kind: "PoolRegistration"; readonly pool: PoolParams }
  | { readonly kind: "PoolRetirement"; readonly poolId: string; readonly epoch: number }
  /** Conway 9 (vote) and 10 (stake and vote, with `poolId`): delegation of a registered credential. */
  | { readonly kind: "VoteDelegation"; readonly credential: KeyHash; readonly drep: DRep; readonly poolId?: string }
  /** Conway 12 (vote) and 13 (stake and vote, with `poolId`): registration with its deposit, and delegation. */
  | {
      readonly kind: "VoteRegistrationDelegation";
      readonly credential: KeyHash;
      readonly drep: DRep;
      readonly poolId?: string;
      readonly deposit: bigint;
    }
  | {
      readonly kind: "DRepRegistration";
      readonly credential: KeyHash;
      readonly deposit: bigint;
      readonly anchor: CborValue;
    }
  | { readonly kind: "DRepDeregistration"; readonly credential: KeyHash; readonly refund: bigint }
  | { readonly kind: "DRepUpdate"; readonly credential: KeyHash; readonly anchor: CborValue }
  | { readonly kind: "CommitteeHotAuth"; readonly cold: KeyHash; readonly hot: KeyHash }
  | { readonly kind: "CommitteeResignation"; readonly cold: KeyHash; readonly anchor: CborValue }
  | { readonly kind: "Unsupported"; readonly name: string };

/** A DRep to delegate votes to: a credential (key hash, or `script:` hash), or one of the two built-in DReps. */
export type DRep = KeyHash | "abstain" | "no-confidence";

const UNSUPPORTED: Record<number, string> = {
  5: "genesis key delegation certificates (removed in Conway)",
  6: "MIR certificates (removed in Conway)",
};

/** Conway's `drep`: [0, key hash] | [1, script hash] | [2] always abstain | [3] always no confidence. */
function drepOf(value: CborValue, what: string): DRep {
  const items = asArray(value, what);
  if (items[0] === 2 && items.length === 1) return "abstain";
  if (items[0] === 3 && items.length === 1) return "no-confidence";
  return stakeCredential(value, what);
}

function stakeCredential(value: CborValue, what: string): KeyHash {
  const [type, hash] = asArray(value, what, 2);
  if (type !== 0 && type !== 1) throw new Error(`${what} must be [0, key hash] or [1, script hash]`);
  const hex = bytesToHex(asBytes(hash, `${what} hash`, 28));
  return type === 1 ? scriptCredential(hex) : hex;
}

/** The items of a CBOR array or tag-258 set. */
export function setItems(value: CborValue, what: string): CborValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<CborValue>)];
  if (value instanceof Tag && value.tag === 258) return asArray(value.value as CborValue, what);
  throw new Error(`${what} must be an array or set`);
}

function unitInterval(value: CborValue, what: string): Rational {
  const inner = value instanceof Tag && value.tag === 30 ? (value.value as CborValue) : value;
  const [num, den] = asArray(inner, what, 2);
  const r = rational(asUint(num, `${what} numerator`), asUint(den, `${what} denominator`));
  if (r.den === 0n || r.num > r.den) throw new Error(`${what} must be a fraction between 0 and 1`);
  return r;
}

/** Decode one certificate; throws an Error naming the field that is wrong. */
export function decodeCertificate(value: CborValue, index: number): Certificate {
  const what = `certificate ${index}`;
  const items = asArray(value, what);
  const type = items[0];
  if (typeof type !== "number") throw new Error(`${what} has no certificate type`);
  const cred = (i: number) => stakeCredential(items[i]!, `${what} stake credential`);
  switch (type) {
    case 0:
    case 7: {
      const credential = cred(1);
      return type === 0
        ? { kind: "StakeRegistration", credential }
        : { kind: "StakeRegistration", credential, deposit: asUint(items[2], `${what} deposit`) };
    }
    case 1:
    case 8: {
      const credential = cred(1);
      return type === 1
        ? { kind: "StakeDeregistration", credential }
        : { kind: "StakeDeregistration", credential, refund: asUint(items[2], `${what} refund`) };
    }
    case 2:
    case 11: {
      const credential = cred(1);
      const poolId = bytesToHex(asBytes(items[2], `${what} pool id`, 28));
      return type === 2
        ? { kind: "StakeDelegation", credential, poolId }
        : { kind: "StakeRegistrationDelegation", credential, poolId, deposit: asUint(items[3], `${what} deposit`) };
    }
    case 3: {
      asArray(value, what, 10);
      return {
        kind: "PoolRegistration",
        pool: {
          operator: bytesToHex(asBytes(items[1], `${what} operator`, 28)),
          vrfKeyHash: bytesToHex(asBytes(items[2], `${what} VRF key hash`, 32)),
          pledge: asUint(items[3], `${what} pledge`),
          cost: asUint(items[4], `${what} cost`),
          margin: unitInterval(items[5]!, `${what} margin`),
          rewardAccount: bytesToHex(asBytes(items[6], `${what} reward account`, 29)),
          owners: setItems(items[7]!, `${what} owners`).map((o, i) => bytesToHex(asBytes(o, `${what} owner ${i}`, 28))),
          relays: asArray(items[8]!, `${what} relays`),
          metadata: items[9] ?? null,
        },
      };
    }
    case 4:
      return {
        kind: "PoolRetirement",
        poolId: bytesToHex(asBytes(items[1], `${what} pool id`, 28)),
        epoch: Number(asUint(items[2], `${what} epoch`)),
      };
    case 9:
    case 10:
    case 12:
    case 13: {
      const withPool = type === 10 || type === 13;
      asArray(value, what, 3 + (withPool ? 1 : 0) + (type >= 12 ? 1 : 0));
      const credential = cred(1);
      const poolId = withPool ? { poolId: bytesToHex(asBytes(items[2], `${what} pool id`, 28)) } : {};
      const drep = drepOf(items[withPool ? 3 : 2]!, `${what} DRep`);
      if (type < 12) return { kind: "VoteDelegation", credential, drep, ...poolId };
      const deposit = asUint(items[withPool ? 4 : 3], `${what} deposit`);
      return { kind: "VoteRegistrationDelegation", credential, drep, ...poolId, deposit };
    }
    case 14:
      asArray(value, what, 3);
      return { kind: "CommitteeHotAuth", cold: cred(1), hot: stakeCredential(items[2]!, `${what} hot credential`) };
    case 15:
      asArray(value, what, 3);
      return { kind: "CommitteeResignation", cold: cred(1), anchor: items[2] ?? null };
    case 16:
      asArray(value, what, 4);
      return {
        kind: "DRepRegistration",
        credential: cred(1),
        deposit: asUint(items[2], `${what} deposit`),
        anchor: items[3] ?? null,
      };
    case 17:
      asArray(value, what, 3);
      return { kind: "DRepDeregistration", credential: cred(1), refund: asUint(items[2], `${what} refund`) };
    case 18:
      asArray(value, what, 3);
      return { kind: "DRepUpdate", credential: cred(1), anchor: items[2] ?? null };
    default:
      return { kind: "Unsupported", name: UNSUPPORTED[type] ?? `certificate type ${type}` };
  }
}

const keyCred = (c: KeyHash): CborValue =>
  credentialScript(c) === null ? [0, hexToBytes(c)] : [1, hexToBytes(credentialScript(c)!)];
const drepCbor = (d: DRep): CborValue => (d === "abstain" ? [2] : d === "no-confidence" ? [3] : keyCred(d));

/** Conway's encoding of a certificate (Shelley forms where Conway kept them; used by tests and tools). */
export function encodeCertificate(cert: Exclude<Certificate, { kind: "Unsupported" }>): CborValue {
  switch (cert.kind) {
    case "StakeRegistration":
      return cert.deposit === undefined ? [0, keyCred(cert.credential)] : [7, keyCred(cert.credential), cert.deposit];
    case "StakeDeregistration":
      return cert.refund === undefined ? [1, keyCred(cert.credential)] : [8, keyCred(cert.credential), cert.refund];
    case "StakeDelegation":
      return [2, keyCred(cert.credential), hexToBytes(cert.poolId)];
    case "StakeRegistrationDelegation":
      return [11, keyCred(cert.credential), hexToBytes(cert.poolId), cert.deposit];
    case "PoolRegistration": {
      const p = cert.pool;
      return [
        3,
        hexToBytes(p.operator),
        hexToBytes(p.vrfKeyHash),
        p.pledge,
        p.cost,
        new Tag([p.margin.num, p.margin.den], 30) as unknown as CborValue,
        hexToBytes(p.rewardAccount),
        p.owners.map(hexToBytes),
        p.relays,
        p.metadata,
      ];
    }
    case "PoolRetirement":
      return [4, hexToBytes(cert.poolId), cert.epoch];
    case "VoteDelegation":
      return cert.poolId === undefined
        ? [9, keyCred(cert.credential), drepCbor(cert.drep)]
        : [10, keyCred(cert.credential), hexToBytes(cert.poolId), drepCbor(cert.drep)];
    case "VoteRegistrationDelegation":
      return cert.poolId === undefined
        ? [12, keyCred(cert.credential), drepCbor(cert.drep), cert.deposit]
        : [13, keyCred(cert.credential), hexToBytes(cert.poolId), drepCbor(cert.drep), cert.deposit];
    case "CommitteeHotAuth":
      return [14, keyCred(cert.cold), keyCred(cert.hot)];
    case "CommitteeResignation":
      return [15, keyCred(cert.cold), cert.anchor];
    case "DRepRegistration":
      return [16, keyCred(cert.credential), cert.deposit, cert.anchor];
    case "DRepDeregistration":
      return [17, keyCred(cert.credential), cert.refund];
    case "DRepUpdate":
      return [18, keyCred(cert.credential), cert.anchor];
  }
}

/** A reward account on a network: header 0xE0 | network id (0 test, 1 main) followed by the key hash. */
export function rewardAccount(keyHash: KeyHash, mainnet = false): string {
  return (mainnet ? "e1" : "e0") + keyHash;
}

/** The stake credential of a reward account (header 0xE_ key, 0xF_ script), or null for malformed bytes. */
export function rewardAccountCredential(accountHex: string): KeyHash | null {
  if (accountHex.length !== 58) return null;
  const type = parseInt(accountHex.slice(0, 2), 16) >> 4;
  if (type === 0xe) return accountHex.slice(2);
  return type === 0xf ? scriptCredential(accountHex.slice(2)) : null;
}

/** The key hash of a key-based reward account, or null for script accounts or malformed bytes. */
export function rewardAccountKeyHash(accountHex: string): KeyHash | null {
  if (accountHex.length !== 58) return null;
  const header = parseInt(accountHex.slice(0, 2), 16);
  return header >> 4 === 0xe ? accountHex.slice(2) : null;
}
