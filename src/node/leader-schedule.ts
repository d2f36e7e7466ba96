// The pool's coming leader slots (/api/leader-schedule). Each slot costs a VRF evaluation, and the slot loop shares
// the event loop with these queries, so a flood of them must never hold up a leader check (issue 15, defect 2:
// 200 queries left 178 of 377 slots unchecked). Hence: the window is bounded (MAX_SCHEDULE_MINUTES); slots are
// evaluated in chunks of CHUNK_SLOTS, one chunk per turn of the event loop, by a single worker; a chunk's result is
// cached for its epoch — an epoch's schedule is fixed by the keys, the epoch nonce and the stake distribution, which
// are the cache key — so concurrent and repeated queries share one computation.
import type { ChainRules, ChainState } from "../consensus/chain-state.ts";
import { noncesAt } from "../consensus/chain-state.ts";
import type { PoolView } from "../consensus/header-validation.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { leaderSlots } from "./forge.ts";
import type { ProducerKeys } from "./producer-keys.ts";

/** The largest window a query may ask for (the HTTP endpoint answers 400 above it). */
export const MAX_SCHEDULE_MINUTES = 120;
/** VRF evaluations between two yields to the event loop (tens of µs each: a chunk blocks for a few ms). */
export const CHUNK_SLOTS = 32;

export interface ScheduleInputs {
  readonly state: ChainState;
  readonly rules: ChainRules;
  /** The pool distribution in force in an epoch, or undefined when not known yet. */
  readonly stakeFor: (epoch: number) => ReadonlyMap<string, PoolView> | undefined;
  readonly keys: ProducerKeys;
}

interface EpochSchedule {
  readonly keys: ProducerKeys;
  readonly stake: ReadonlyMap<string, PoolView>;
  readonly nonce: string;
  /** Chunk index within the epoch -> the led slots in it (shared by every query that needs the chunk). */
  readonly chunks: Map<number, Promise<bigint[]>>;
}

export class LeaderSchedule {
  readonly #epochs = new Map<number, EpochSchedule>();
  readonly #tasks: (() => void)[] = [];
  #running = false;
  /** Chunks evaluated since start (each once per epoch schedule): for tests and logs. */
  chunksComputed = 0;

  /** The led slots in [from, from + count) and whether every epoch's distribution was known. */
  async slots(from: bigint, count: number, inputs: ScheduleInputs): Promise<{ slots: bigint[]; complete: boolean }> {
    const clock = inputs.rules.clock;
    const end = Number(from) + count;
    for (const epoch of this.#epochs.keys()) if (epoch < clock.epochOfSlot(Number(from))) this.#epochs.delete(epoch);
    const parts: Promise<bigint[]>[] = [];
    let complete = true;
    // One step per epoch in the window: bounded by count / epochLength + 1.
    for (let slot = Number(from); slot < end;) {
      const epoch = clock.epochOfSlot(slot);
      const first = clock.firstSlotOfEpoch(epoch);
      const stop = Math.min(end, clock.firstSlotOfEpoch(epoch + 1));
      const stake = inputs.stakeFor(epoch);
      if (!stake) complete = false;
      else if (stake.has(inputs.keys.poolId)) {
        const schedule = this.#epoch(epoch, stake, inputs);
        for (let c = Math.floor((slot - first) / CHUNK_SLOTS); first + c * CHUNK_SLOTS < stop; c++)
          parts.push(
            this.#chunk(
              schedule,
              first + c * CHUNK_SLOTS,
              Math.min(CHUNK_SLOTS, stop - first - c * CHUNK_SLOTS),
              c,
              inputs,
            ),
          );
      }
      slot = stop;
    }
    const led = (await Promise.all(parts)).flat().filter((s) => s >= from && s < BigInt(end));
    // Queries waiting on the same chunks would all resume in one tick and each build its answer there (~1000 slots
    // with their times as JSON): they resume one per turn of the event loop instead.
    await new Promise<void>((resolve) => this.#enqueue(resolve));
    return { slots: led, complete };
  }

  /** The cached schedule of `epoch`, replaced when its keys, nonce or distribution are not the ones asked about. */
  #epoch(epoch: number, stake: ReadonlyMap<string, PoolView>, inputs: ScheduleInputs): EpochSchedule {
    const n = noncesAt(inputs.state, inputs.rules, BigInt(inputs.rules.clock.firstSlotOfEpoch(epoch))).epochNonce;
    const nonce = n ? bytesToHex(n) : "neutral";
    const cached = this.#epochs.get(epoch);
    if (cached && cached.keys === inputs.keys && cached.stake === stake && cached.nonce === nonce) return cached;
    const fresh: EpochSchedule = { keys: inputs.keys, stake, nonce, chunks: new Map() };
    this.#epochs.set(epoch, fresh);
    return fresh;
  }

  #chunk(schedule: EpochSchedule, start: number, length: number, index: number, inputs: ScheduleInputs) {
    let chunk = schedule.chunks.get(index);
    if (!chunk) {
      const { state, rules, keys } = inputs;
      chunk = new Promise<bigint[]>((resolve, reject) => {
        this.#enqueue(() => {
          try {
            this.chunksComputed++;
            resolve(leaderSlots(BigInt(start), length, state, rules, () => schedule.stake, keys).slots);
          } catch (error) {
            reject(error as Error);
          }
        });
      });
      // A failed chunk is not cached: the next query tries again.
      chunk.catch(() => schedule.chunks.delete(index));
      schedule.chunks.set(index, chunk);
    }
    return chunk;
  }

  /**
   * Run `task` on a later turn of the event loop: one task per turn (setImmediate), so timers — the slot loop — run
   * between any two chunks or resumed queries.
   */
  #enqueue(task: () => void): void {
    this.#tasks.push(task);
    if (this.#running) return;
    this.#running = true;
    const step = () => {
      const task = this.#tasks.shift();
      if (!task) {
        this.#running = false;
        return;
      }
      task();
      setImmediate(step);
    };
    setImmediate(step);
  }
}
