// cardano-ledger UTXO rule (Shelley onwards, as in Conway): a transaction is for one network. Every output's
// address (`validateWrongNetwork`), every withdrawal's reward account (`validateWrongNetworkWithdrawal`) and the
// body's own network id, key 15, when given (`validateWrongNetworkInTxBody`) must name the node's network:
// 1 for mainnet, 0 for every testnet. The POOL rule holds a registered pool's reward account to the same
// network (`WrongNetworkPOOL`, checked from Alonzo on).
import { bytesToHex, hexToBytes } from "../../crypto/bytes.ts";
import type { Certificate } from "../certs.ts";
import type { TxBody } from "../tx.ts";
import { byronAddress } from "./byron-address.ts";
import type { F } from "./failure.ts";

export type NetworkFailure =
  | F<"WrongNetwork", { network: number; addresses: string[] }>
  | F<"WrongNetworkWithdrawal", { network: number; accounts: string[] }>
  | F<"WrongNetworkInTxBody", { supplied: number; expected: number }>
  | F<"WrongNetworkPOOL", { poolId: string; supplied: number | null; expected: number }>;

/** The network an address names: the header's low nibble for Shelley addresses (types 0-7, 14, 15). */
export function addressNetwork(address: Uint8Array): number | null {
  const header = address[0];
  if (header === undefined) return null;
  const type = header >> 4;
  if (type === 8) return byronAddress(address)?.network ?? null;
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
