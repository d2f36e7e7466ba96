// The node's view of its chain: the consensus state (tip, nonces, opcert counters) and the ledger state, moved
// together block by block. A block is applied in the ledger's order: tick the ledger to the block's epoch (epoch
// boundaries, which fix the pool distribution), validate the header against that distribution, check the body
// against the header's size and hash, then apply the body's transactions. Anything invalid changes nothing.
import { type Block, blockBodyHash, blockBodySize } from "../chain/block.ts";
import { issuerPoolId } from "../chain/header.ts";
import {
  applyHeader,
  type ChainState,
  chainStateFromJson,
  chainStateToJson,
  initialChainState,
} from "../consensus/chain-state.ts";
import { bytesToHex, equalBytes, hexToBytes } from "../crypto/bytes.ts";
import { applyBlockBody } from "../ledger/block-body.ts";
import { type EpochReport, tickToEpoch } from "../ledger/epoch.ts";
import { Journal } from "../ledger/journal.ts";
import { genesisLedgerState, type LedgerState } from "../ledger/state.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../ledger/state-json.ts";
import type { Tx } from "../ledger/tx.ts";
import type { Network } from "./config.ts";
import { ledgerParamsAt } from "./ledger-params.ts";

export type BlockResult =
  | { readonly ok: true; readonly txs: Tx[]; readonly epochs: EpochReport[] }
  | { readonly ok: false; readonly message: string };

export class NodeChain {
  readonly net: Network;
  #chain: ChainState;
  readonly ledger: LedgerState;
  /** While a tentative() call runs: the journal every applied block records its ledger changes in. */
  #tentative: Journal | null = null;

  constructor(net: Network, chain: ChainState, ledger: LedgerState) {
    this.net = net;
    this.#chain = chain;
    this.ledger = ledger;
  }

  static genesis(net: Network): NodeChain {
    const ledger = genesisLedgerState(net.genesis, net.ledgerParams);
    // The Conway genesis's committee and constitution are the enact state governance starts from.
    if (net.governance) {
      for (const [cold, term] of net.governance.committee) ledger.committee.set(cold, term);
      ledger.committeeThreshold = net.governance.committeeThreshold;
      ledger.constitutionPolicy = net.governance.constitutionPolicy;
      ledger.constitutionAnchor = net.governance.constitutionAnchor;
    }
    return new NodeChain(net, initialChainState(net.genesis.hash), ledger);
  }

  static fromJson(net: Network, json: unknown): NodeChain {
    const j = json as { chain?: unknown; ledger?: unknown };
    if (!j || typeof j !== "object" || !j.chain || !j.ledger) throw new Error("not a node chain snapshot");
    const ledger = ledgerStateFromJson(j.ledger);
    // A snapshot from before the constitution's anchor was kept: the genesis's, unless governance replaced it.
    const held = (j.ledger as { constitutionAnchor?: unknown }).constitutionAnchor;
    if (held === undefined && !ledger.govRoots.has("constitution") && net.governance)
      ledger.constitutionAnchor = net.governance.constitutionAnchor;
    return new NodeChain(net, chainStateFromJson(j.chain), ledger);
  }

  toJson(): unknown {
    return { chain: chainStateToJson(this.#chain), ledger: ledgerStateToJson(this.ledger) };
  }

  /**
   * Run `fn`, which applies blocks (and stores them); when it throws, every block it applied is undone and the chain
   * is as before. How a block is adopted only once it is stored: apply, store, and undo if storing fails.
   */
  tentative<T>(fn: () => T): T {
    if (this.#tentative) return fn();
    const journal = new Journal();
    const before = this.#chain;
    this.#tentative = journal;
    try {
      return fn();
    } catch (error) {
      journal.rollback();
      this.#chain = before;
      throw error;
    } finally {
      this.#tentative = null;
    }
  }

  get state(): ChainState {
    return this.#chain;
  }

  get tip() {
    return this.#chain.tip;
  }

  /** The VRF key hash a pool registered on the ledger, or undefined when it is not registered. */
  registeredVrfKeyHash(poolId: string): Uint8Array | undefined {
    const pool = this.ledger.pools.get(poolId);
    return pool ? hexToBytes(pool.vrfKeyHash) : undefined;
  }

  /**
   * Validate and apply a block. `reapply` skips signature checks of transactions already validated on this chain
   * (replay from the node's own database); headers are always fully validated.
   */
  applyBlock(block: Block, options: { reapply?: boolean } = {}): BlockResult {
    const { header } = block;
    const slot = header.body.slot;
    const journal = this.#tentative ?? new Journal();
    const mark = journal.mark;
    const fail = (message: string): BlockResult => {
      journal.rollback(mark);
      return { ok: false, message };
    };
    const epoch = this.net.clock.epochOfSlot(Number(slot));
    if (epoch < this.ledger.epoch) return fail(`block slot ${slot} is in epoch ${epoch}, before the ledger's epoch`);
    const epochs = tickToEpoch(this.ledger, this.net.ledgerParams, epoch, journal);
    const params = ledgerParamsAt(this.net, this.tip?.slot ?? null);
    const h = applyHeader(this.#chain, header, this.net.rules, this.ledger.poolDistr);
    if (!h.ok) return fail(h.errors.map((e) => e.message).join("; "));
    const size = blockBodySize(block);
    if (BigInt(size) !== BigInt(header.body.blockBodySize))
      return fail(
        `block body is ${size} bytes but its header says ${header.body.blockBodySize} (WrongBlockBodySizeBBODY)`,
      );
    if (!equalBytes(blockBodyHash(block), header.body.blockBodyHash))
      return fail("block body does not hash to the header's body hash (InvalidBodyHashBBODY)");
    const body = applyBlockBody(
      this.ledger,
      block,
      bytesToHex(issuerPoolId(header)),
      { slot, params, reapply: options.reapply ?? false },
      journal,
    );
    if (!body.ok) return fail(body.message);
    this.#chain = h.state;
    return { ok: true, txs: body.txs, epochs };
  }
}
