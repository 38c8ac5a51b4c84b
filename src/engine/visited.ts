/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints in one
 * typed array of slots, so a probe touches one cache line. A slot is [fingerprint hi, lo] and,
 * by the table's kind, a third word:
 * - `plain`: none (a sequential safety search needs no more);
 * - `ids`: the state's id + 1 (the edges of liveness name states by id);
 * - `owners`: the chunk that claimed the state (+ 1), for a parallel safety search whose
 *   workers insert concurrently (`claim`); 1 is a state settled before the current level.
 * Both halves of a stored fingerprint are nonzero (a 0 half is stored as 1, which the
 * collision estimate can ignore), so an empty slot is one whose hi is 0. With `shared`, the
 * table lives in a SharedArrayBuffer that worker threads use.
 */
export type VisitedTable = Int32Array;
export type VisitedKind = 'plain' | 'ids' | 'owners';

/** The owner of a state known before the current level (or inserted by the main thread). */
export const SETTLED = 1;

/** The first slot of a fingerprint's probe sequence. */
const home = (hi: number, lo: number, mask: number) => (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
const half = (x: number) => x | 0 || 1;

export class VisitedSet {
  /** words per slot */
  slot: number;
  private shared: boolean;
  private t: VisitedTable;
  private used = 0;

  constructor(initialCapacity = 1 << 16, options: { shared?: boolean; kind?: VisitedKind } = {}) {
    this.slot = (options.kind ?? 'plain') === 'plain' ? 2 : 3;
    this.shared = options.shared ?? false;
    this.t = this.table(1 << Math.ceil(Math.log2(Math.max(16, initialCapacity))));
  }

  get size(): number {
    return this.used;
  }

  get bytes(): number {
    return this.t.byteLength;
  }

  /** The table as it is now (it is replaced when it grows). */
  get current(): VisitedTable {
    return this.t;
  }

  /**
   * Returns the third word of the slot of fingerprint (h, l) if present (0 in a plain set);
   * otherwise records it with third word `word` and returns -1.
   */
  findOrInsert(h: number, l: number, word: number): number {
    const t = this.t;
    const slot = this.slot;
    const hi = half(h);
    const lo = half(l);
    const mask = t.length / slot - 1;
    let at = home(hi, lo, mask) * slot;
    for (;;) {
      const x = t[at]!;
      if (x === 0) break;
      if (x === hi && t[at + 1] === lo) return slot === 3 ? t[at + 2]! : 0;
      at += slot;
      if (at === t.length) at = 0;
    }
    t[at] = hi;
    t[at + 1] = lo;
    if (slot === 3) t[at + 2] = word;
    if (++this.used * 4 > (t.length / slot) * 3) this.grow((t.length / slot) * 2);
    return -1;
  }

  /** The third word of fingerprint (h, l)'s slot, or -1 if absent. */
  find(h: number, l: number): number {
    const t = this.t;
    const slot = this.slot;
    const hi = half(h);
    const lo = half(l);
    const mask = t.length / slot - 1;
    for (
      let at = home(hi, lo, mask) * slot;
      t[at] !== 0;
      at = at + slot === t.length ? 0 : at + slot
    ) {
      if (t[at] === hi && t[at + 1] === lo) return slot === 3 ? t[at + 2]! : 0;
    }
    return -1;
  }

  /** Moves the table into shared memory for worker threads, with the slots of `kind`: each
   * fingerprint keeps its slot (the slot count is unchanged), a plain table's states become
   * settled owners. */
  share(kind: VisitedKind): void {
    const old = this.t;
    const from = this.slot;
    const to = kind === 'plain' ? 2 : 3;
    this.shared = true;
    this.slot = to;
    const next = this.table(old.length / from);
    for (let j = 0, k = 0; j < old.length; j += from, k += to) {
      if (old[j] === 0) continue;
      next[k] = old[j]!;
      next[k + 1] = old[j + 1]!;
      if (to === 3) next[k + 2] = from === 3 ? old[j + 2]! : SETTLED;
    }
    this.t = next;
  }

  /** Counts `n` fingerprints that workers inserted (`claim`) into the table. */
  inserted(n: number): void {
    this.used += n;
  }

  /** Grows the table, if need be, so that `more` fingerprints fit at half load. */
  reserve(more: number): void {
    const slots = this.slotsFor(more);
    if (slots > this.t.length / this.slot) this.grow(slots);
  }

  /** The table's bytes once `reserve(more)` is done. */
  bytesAfterReserving(more: number): number {
    return Math.max(this.t.length / this.slot, this.slotsFor(more)) * this.slot * 4;
  }

  private slotsFor(more: number): number {
    return 1 << Math.ceil(Math.log2((this.used + more) * 2));
  }

  /** Moves to a table of `slots` slots. The table doubles at three quarters full: a probe
   * still stays within a cache line or two (a line holds 8 two-word slots), and the smaller
   * table keeps more of itself in the cache than one grown at half load. */
  private grow(slots: number): void {
    const old = this.t;
    const slot = this.slot;
    const next = this.table(slots);
    const mask = next.length / slot - 1;
    for (let j = 0; j < old.length; j += slot) {
      if (old[j] === 0) continue;
      let at = home(old[j]!, old[j + 1]!, mask) * slot;
      while (next[at] !== 0) {
        at += slot;
        if (at === next.length) at = 0;
      }
      for (let w = 0; w < slot; w++) next[at + w] = old[j + w]!;
    }
    this.t = next;
  }

  private table(slots: number): VisitedTable {
    const bytes = slots * this.slot * 4;
    return new Int32Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }
}

/**
 * Reads the first slot of each of `count` fingerprints (hi, lo pairs) in a table of `slot`-word
 * slots, ahead of looking them up: the reads' cache misses overlap here, so the lookups that
 * follow find their slots in the cache. Returns a sum of what it read, for the caller to keep.
 */
export function readAhead(
  t: VisitedTable,
  slot: number,
  fingerprints: Uint32Array,
  count: number,
): number {
  const mask = t.length / slot - 1;
  let sum = 0;
  for (let k = 0; k < count; k++)
    sum += t[home(half(fingerprints[2 * k]!), half(fingerprints[2 * k + 1]!), mask) * slot]!;
  return sum;
}

/** What a worker's `claim` found. */
export const CLAIM_NEW = 2; // not there: inserted, and this chunk records the state
export const CLAIM_TAKEN = 1; // claimed by a later chunk of the level: now this chunk's
export const CLAIM_KNOWN = 0; // there, and settled or claimed by this or an earlier chunk

/**
 * A worker's insertion into an `owners` table that other threads insert into at the same time.
 * A state found by several chunks of a level belongs to the earliest of them (the one the
 * sequential search would have found it from first): a chunk takes over a state a later chunk
 * claimed, and the main thread, merging chunks in order, keeps a record only if its chunk still
 * owns the state. Slots are claimed by compare-and-swap on hi; lo and the owner follow, and a
 * reader that sees hi before them waits for them.
 */
export function claim(t: VisitedTable, h: number, l: number, chunk: number): number {
  const hi = half(h);
  const lo = half(l);
  const mask = t.length / 3 - 1;
  let at = home(hi, lo, mask) * 3;
  for (;;) {
    // Plain reads (an aligned word is never torn); atomics only to claim and to wait for a
    // slot another thread is filling.
    let x = t[at]!;
    if (x === 0) {
      x = Atomics.compareExchange(t, at, 0, hi);
      if (x === 0) {
        Atomics.store(t, at + 1, lo);
        Atomics.store(t, at + 2, chunk);
        return CLAIM_NEW;
      }
    }
    if (x === hi) {
      let y = t[at + 1]!;
      while (y === 0) y = Atomics.load(t, at + 1);
      if (y === lo) {
        let owner = t[at + 2]!;
        while (owner === 0) owner = Atomics.load(t, at + 2);
        while (owner > chunk) {
          const was = Atomics.compareExchange(t, at + 2, owner, chunk);
          if (was === owner) return CLAIM_TAKEN;
          owner = was;
        }
        return CLAIM_KNOWN;
      }
    }
    at += 3;
    if (at === t.length) at = 0;
  }
}
