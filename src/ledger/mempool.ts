// The mempool: transactions validated against the ledger at the tip plus the transactions before them, bounded
// in total bytes, revalidated whenever the tip changes (a new block or a chain switch drops what no longer
// applies), and offered to the forger in fee-density order (lovelace per byte, then arrival) with each
// transaction placed after the ones it spends from.
import { bytesToHex } from "../crypto/bytes.ts";
import { type LedgerFailure, applyTx } from "./apply-tx.ts";
import { onScratch } from "./block-body.ts";
import { tickToEpoch } from "./epoch.ts";
import type { Journal } from "./journal.ts";
import type { LedgerParams } from "./params.ts";
import type { LedgerState } from "./state.ts";
import type { Tx } from "./tx.ts";

export type AddResult =
  | { readonly ok: true; readonly id: string }
  | {
      readonly ok: false;
      readonly id: string;
      readonly reason: "duplicate" | "full" | "invalid";
      readonly message: string;
      readonly failures?: LedgerFailure[];
    };

export interface LedgerAt {
  readonly state: LedgerState;
  readonly params: LedgerParams;
  readonly slot: bigint;
  readonly epoch: number;
}

interface Entry {
  readonly tx: Tx;
  readonly id: string;
  readonly arrival: number;
}

export class Mempool {
  readonly capacityBytes: number;
  #entries = new Map<string, Entry>();
  #bytes = 0;
  #arrivals = 0;

  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  ids(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Transactions that arrived after `arrival` (0: all), oldest first, each with its arrival number: what a peer
   * that was last given `arrival` has not been offered yet.
   */
  since(arrival: number): { readonly arrival: number; readonly id: string; readonly tx: Tx }[] {
    return [...this.#entries.values()].filter((e) => e.arrival > arrival).sort((a, b) => a.arrival - b.arrival);
  }

  /** Validate `tx` on top of the ledger and every transaction already here; keep it if it applies. */
  add(tx: Tx, at: LedgerAt): AddResult {
    const id = bytesToHex(tx.body.id);
    if (this.#entries.has(id))
      return { ok: false, id, reason: "duplicate", message: `transaction ${id} is already in the mempool` };
    if (this.#bytes + tx.size > this.capacityBytes)
      return {
        ok: false,
        id,
        reason: "full",
        message: `the mempool is full (${this.#bytes} of ${this.capacityBytes} bytes); try again after the next block`,
      };
    const failures = onScratch((journal) => {
      this.#applyAll(at, journal);
      return applyTx(at.state, tx, { slot: at.slot, params: at.params }, journal);
    });
    // Each failure under cardano-ledger's name, as cardano-submit-api reports them, then what was wrong.
    if (failures.length > 0)
      return {
        ok: false,
        id,
        reason: "invalid",
        message: failures.map((f) => `${f.kind}: ${f.message}`).join("; "),
        failures,
      };
    this.#entries.set(id, { tx, id, arrival: ++this.#arrivals });
    this.#bytes += tx.size;
    return { ok: true, id };
  }

  /** After the tip changed: drop what no longer applies (spent inputs, expired, ...). Returns the ids dropped. */
  revalidate(at: LedgerAt): string[] {
    const dropped = onScratch((journal) => {
      tickToEpoch(at.state, at.params, at.epoch, journal);
      const out: string[] = [];
      for (const e of this.#entries.values()) {
        if (applyTx(at.state, e.tx, { slot: at.slot, params: at.params, reapply: true }, journal).length > 0)
          out.push(e.id);
      }
      return out;
    });
    for (const id of dropped) this.#remove(id);
    return dropped;
  }

  /**
   * Transactions for a block at `at.slot`, best fee density first, within `maxBytes` of transaction bytes, in an
   * order that applies. The state must already be ticked to the slot's epoch; changes go into `journal`.
   */
  select(at: LedgerAt, maxBytes: number, journal: Journal): Tx[] {
    const pending = [...this.#entries.values()].sort((a, b) => {
      const da = a.tx.body.fee * BigInt(b.tx.size);
      const db = b.tx.body.fee * BigInt(a.tx.size);
      return da > db ? -1 : da < db ? 1 : a.arrival - b.arrival;
    });
    const chosen: Tx[] = [];
    let bytes = 0;
    // A transaction that spends another's output fails until its parent is in; retry in passes while any land.
    for (let progress = true; progress && pending.length > 0;) {
      progress = false;
      for (let i = 0; i < pending.length;) {
        const e = pending[i]!;
        if (bytes + e.tx.size > maxBytes) {
          i++;
          continue;
        }
        if (applyTx(at.state, e.tx, { slot: at.slot, params: at.params, reapply: true }, journal).length === 0) {
          chosen.push(e.tx);
          bytes += e.tx.size;
          pending.splice(i, 1);
          progress = true;
        } else i++;
      }
    }
    return chosen;
  }

  /** Forget transactions that made it into a block. */
  removeIncluded(txs: readonly Tx[]): void {
    for (const tx of txs) this.#remove(bytesToHex(tx.body.id));
  }

  #applyAll(at: LedgerAt, journal: Journal): void {
    tickToEpoch(at.state, at.params, at.epoch, journal);
    for (const e of this.#entries.values())
      applyTx(at.state, e.tx, { slot: at.slot, params: at.params, reapply: true }, journal);
  }

  #remove(id: string): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#entries.delete(id);
    this.#bytes -= e.tx.size;
  }
}
