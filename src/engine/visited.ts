/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints in one
 * typed array of slots, so a probe touches one cache line. A slot is [fingerprint hi, lo] and,
 * by the table's kind, a third word:
 * - `plain`: none (a sequential safety search needs no more);
 * - `ids`: the state's id + 1 (the edges of liveness name states by id).
 * Both halves of a stored fingerprint are nonzero (a 0 half is stored as 1, which the
 * collision estimate can ignore), so an empty slot is one whose hi is 0. With `shared`, the
 * table lives in a SharedArrayBuffer, for the thread that does a partition's level (partition.ts).
 */
export type VisitedTable = Int32Array;
export type VisitedKind = 'plain' | 'ids';

/** Asked before the table grows to a new table of `bytes` (the old one is still held while the
 * fingerprints move): false keeps the table, to be filled past three quarters instead. */
export type GrowthBudget = (bytes: number) => boolean;

/** The first slot of a fingerprint's probe sequence. */
const home = (hi: number, lo: number, mask: number) => (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
const half = (x: number) => x | 0 || 1;

export class VisitedSet {
  /** words per slot */
  slot: number;
  private shared: boolean;
  private t: VisitedTable;
  private used = 0;
  /** the table grows (or asks its budget) when it holds more than this */
  private limit = 0;
  /** what a growth may allocate; none: the table always grows */
  budget: GrowthBudget | undefined;
  /** a growth was refused with the table seven eighths full: the search must stop (it may
   * still insert a batch's successors, up to all slots but one) */
  crowded = false;

  constructor(initialCapacity = 1 << 16, options: { shared?: boolean; kind?: VisitedKind } = {}) {
    this.slot = (options.kind ?? 'plain') === 'plain' ? 2 : 3;
    this.shared = options.shared ?? false;
    this.t = this.use(this.table(1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)))));
  }

  /** A plain set with room for `capacity` fingerprints before it grows. */
  static sized(capacity: number, shared: boolean): VisitedSet {
    const v = new VisitedSet(16, { shared });
    v.reserve(capacity);
    return v;
  }

  /** A plain shared set over `table` (another thread's, or one grown before), holding `used`. */
  static over(table: VisitedTable, used: number): VisitedSet {
    const v = new VisitedSet(16, { shared: true });
    v.t = v.use(table);
    v.used = used;
    return v;
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
    if (++this.used > this.limit) this.full();
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

  /** Calls `fn` with each fingerprint's halves (as stored). */
  forEach(fn: (hi: number, lo: number) => void): void {
    const { t, slot } = this;
    for (let at = 0; at < t.length; at += slot) if (t[at] !== 0) fn(t[at]!, t[at + 1]!);
  }

  /** Grows the table, if need be, so that `more` fingerprints fit before it grows again. */
  reserve(more: number): void {
    const slots = 2 ** Math.ceil(Math.log2(((this.used + more) * 4) / 3 + 1));
    if (slots > this.t.length / this.slot) this.grow(slots);
  }

  /** Empties the set into the smallest table. */
  clear(): void {
    this.t = this.use(this.table(16));
    this.used = 0;
  }

  /** Past its load limit: the table doubles if its budget allows. Refused at three quarters
   * full, it fills on to seven eighths (a probe for a new fingerprint then reads about 32 slots,
   * four cache lines, against 8.5) and asks again; refused then, it is `crowded`, and fills on
   * only to finish the batch: a table with all slots but one used grows whatever the budget. */
  private full(): void {
    const slots = this.t.length / this.slot;
    const sevenEighths = slots - slots / 8; // slots is a power of two, and may be 2^31
    if (this.used < slots - 1 && this.budget && !this.budget(2 * this.t.byteLength)) {
      this.crowded = this.used > sevenEighths;
      this.limit = this.crowded ? slots - 2 : sevenEighths;
      return;
    }
    this.grow(slots * 2);
  }

  /** Takes `table` from now on: it grows at three quarters full (its slots are a power of two,
   * so that is exact; no 32-bit operators: a table may have 2^31 slots). */
  private use(table: VisitedTable): VisitedTable {
    const slots = table.length / this.slot;
    this.limit = slots - slots / 4;
    this.crowded = false;
    return table;
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
    this.t = this.use(next);
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

/** Reads the first slot of fingerprint (h, l) in a plain table, ahead of looking it up. */
export function peek(t: VisitedTable, h: number, l: number): number {
  return t[home(half(h), half(l), t.length / 2 - 1) * 2]!;
}
