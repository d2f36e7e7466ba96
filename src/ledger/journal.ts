// An undo log for in-place ledger updates. The ledger state is large (the UTxO) and mutated in place; every
// change made through a journal can be undone, so a transaction or block that fails part-way leaves nothing
// behind, and a mempool or forger can try transactions on the live state and roll them back.

type Undo = () => void;

export class Journal {
  #undo: Undo[] = [];

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const old = map.get(key);
    map.set(key, value);
    this.#undo.push(had ? () => map.set(key, old as V) : () => map.delete(key));
  }

  delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const old = map.get(key) as V;
    map.delete(key);
    this.#undo.push(() => map.set(key, old));
  }

  assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): void {
    const old = target[key];
    target[key] = value;
    this.#undo.push(() => (target[key] = old));
  }

  /** A position to roll back to. */
  get mark(): number {
    return this.#undo.length;
  }

  /** Undo every change after `mark` (default: all), newest first. */
  rollback(mark = 0): void {
    while (this.#undo.length > mark) this.#undo.pop()!();
  }
}
