// cardano-ledger UTXO rule (Shelley onwards, as in Conway): a transaction is for one network. Every output's
// address (`validateWrongNetwork`), every withdrawal's reward account (`validateWrongNetworkWithdrawal`) and the
// body's own network id, key 15, when given (`validateWrongNetworkInTxBody`) must name the node's network:
// 1 for mainnet, 0 for every testnet. The POOL rule holds a registered pool's reward account to the same
// network (`WrongNetworkPOOL`, checked from Alonzo on).
import { cborArrayItems, cborMapEntries } from "../../chain/cbor-raw.ts";
import { bytesToHex, hexToBytes } from "../../crypto/bytes.ts";
import { decodeCbor } from "../../formats/cbor.ts";
import type { Certificate } from "../certs.ts";
import type { TxBody } from "../tx.ts";
import type { F } from "./failure.ts";

export type NetworkFailure =
  | F<"WrongNetwork", { network: number; addresses: string[] }>
  | F<"WrongNetworkWithdrawal", { network: number; accounts: string[] }>
  | F<"WrongNetworkInTxBody", { supplied: number; expected: number }>
  | F<"WrongNetworkPOOL", { poolId: string; supplied: number | null; expected: number }>;

/**
 * A Byron address's network: testnet when its attributes carry a network magic (key 2), else mainnet, as
 * cardano-ledger's `bootstrapAddressNetwork` reads it. Null when the bytes are not a Byron address.
 */
function byronNetwork(address: Uint8Array): number | null {
  try {
    const [payload] = cborArrayItems(address);
    if (!payload || payload[0] !== 0xd8 || payload[1] !== 0x18) return null; // tag 24: CBOR in a byte string
    const inner = decodeCbor(payload.subarray(2));
    if (!(inner instanceof Uint8Array)) return null;
    const attributes = cborArrayItems(inner)[1];
    if (!attributes) return null;
    return cborMapEntries(attributes).some(([k]) => decodeCbor(k) === 2) ? 0 : 1;
  } catch {
    return null;
  }
}

/** The network an address names: the header's low nibble for Shelley addresses (types 0-7, 14, 15). */
export function addressNetwork(address: Uint8Array): number | null {
  const header = address[0];
  if (header === undefined) return null;
  const type = header >> 4;
  if (type === 8) return byronNetwork(address);
  if (type <= 7 || type === 14 || type === 15) return header & 0x0f;
  return null;
}

export function networkFailures(body: TxBody, mainnet: boolean): NetworkFailure[] {
  const network = mainnet ? 1 : 0;
  const name = mainnet ? "mainnet (1)" : "a testnet (0)";
  const failures: NetworkFailure[] = [];
  const addresses = [
    ...new Set(body.outputs.filter((o) => addressNetwork(o.address) !== network).map((o) => bytesToHex(o.address))),
  ];
  if (addresses.length > 0)
    failures.push({
      kind: "WrongNetwork",
      network,
      addresses,
      message: `outputs pay addresses of another network than ${name}: ${addresses.join(", ")}`,
    });
  const accounts = [...body.withdrawals.keys()].filter((a) => addressNetwork(hexToBytes(a)) !== network);
  if (accounts.length > 0)
    failures.push({
      kind: "WrongNetworkWithdrawal",
      network,
      accounts,
      message: `withdrawals from reward accounts of another network than ${name}: ${accounts.join(", ")}`,
    });
  if (body.networkId !== undefined && body.networkId !== network)
    failures.push({
      kind: "WrongNetworkInTxBody",
      supplied: body.networkId,
      expected: network,
      message: `the body's network id (key 15) is ${body.networkId}; this is ${name}`,
    });
  return failures;
}

export function poolNetworkFailures(certs: readonly Certificate[], mainnet: boolean): NetworkFailure[] {
  const expected = mainnet ? 1 : 0;
  return certs.flatMap((c): NetworkFailure[] => {
    if (c.kind !== "PoolRegistration") return [];
    const supplied = addressNetwork(hexToBytes(c.pool.rewardAccount));
    if (supplied === expected) return [];
    return [
      {
        kind: "WrongNetworkPOOL",
        poolId: c.pool.operator,
        supplied,
        expected,
        message: `pool ${c.pool.operator} names reward account ${c.pool.rewardAccount} of network ${supplied}; this network is ${expected}`,
      },
    ];
  });
}
