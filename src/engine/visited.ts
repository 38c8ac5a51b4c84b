/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints, each
 * mapped to the id of the state it stands for when the search needs ids (for the edges of
 * liveness). One typed array of slots [fingerprint hi, fingerprint lo, id] or, without ids,
 * [hi, lo], so a probe touches one cache line and a safety search's table is a third smaller.
 * An all-zero slot is empty (the fingerprint 0 is stored as 1). With `shared`, the table lives
 * in a SharedArrayBuffer that worker threads probe (read-only) while it is added to.
 */
export type VisitedTable = Int32Array;

/** The first slot of a fingerprint's probe sequence. */
const home = (h: number, l: number, mask: number) => (l ^ Math.imul(h, 0x9e3779b1)) & mask;

/** Is fingerprint (h, l) in a table of `slot`-word slots? (For readers that never insert.) */
export function contains(t: VisitedTable, slot: number, h: number, l: number): boolean {
  const hi = h | 0;
  const lo = l | 0 || (hi === 0 ? 1 : 0);
  const mask = t.length / slot - 1;
  for (let at = home(hi, lo, mask) * slot; (t[at]! | t[at + 1]!) !== 0; at = at + slot === t.length ? 0 : at + slot) {
    if (t[at + 1] === lo && t[at] === hi) return true;
  }
  return false;
}

export class VisitedSet {
  /** words per slot: 3 with ids, 2 without */
  readonly slot: number;
  private readonly shared: boolean;
  private t: VisitedTable;
  private used = 0;

  constructor(initialCapacity = 1 << 16, options: { shared?: boolean; ids?: boolean } = {}) {
    this.slot = options.ids === false ? 2 : 3;
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
   * Returns the id of the state with fingerprint (h, l) if present (0 in a set without ids);
   * otherwise records it under `newId` and returns -1.
   */
  findOrInsert(h: number, l: number, newId: number): number {
    const t = this.t;
    const slot = this.slot;
    const mask = t.length / slot - 1;
    const hi = h | 0;
    const lo = l | 0 || (hi === 0 ? 1 : 0);
    let at = home(hi, lo, mask) * slot;
    for (;;) {
      const x = t[at]!;
      const y = t[at + 1]!;
      if ((x | y) === 0) break;
      if (y === lo && x === hi) return slot === 3 ? t[at + 2]! : 0;
      at += slot;
      if (at === t.length) at = 0;
    }
    t[at] = hi;
    t[at + 1] = lo;
    if (slot === 3) t[at + 2] = newId;
    if (++this.used * 2 > t.length / slot) this.grow();
    return -1;
  }

  /** Doubles the table at half load, so probes stay short and growth is amortised. */
  private grow(): void {
    const old = this.t;
    const slot = this.slot;
    const next = this.table((old.length / slot) * 2);
    const mask = next.length / slot - 1;
    for (let j = 0; j < old.length; j += slot) {
      if ((old[j]! | old[j + 1]!) === 0) continue;
      let at = home(old[j]!, old[j + 1]!, mask) * slot;
      while ((next[at]! | next[at + 1]!) !== 0) {
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
