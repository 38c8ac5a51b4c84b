/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints, each
 * mapped to the id of the state it stands for. One typed array of 3-word slots
 * [fingerprint hi, fingerprint lo, id + 1 (0 = empty)], so a probe touches one cache line, not
 * three. With `shared`, it lives in a SharedArrayBuffer that worker threads probe (read-only)
 * between insertions.
 */
export type VisitedTable = Int32Array;

const SLOT = 3;

/** The first slot of a fingerprint's probe sequence. */
const home = (h: number, l: number, mask: number) => (l ^ Math.imul(h, 0x9e3779b1)) & mask;

/** Is fingerprint (h, l) in the table? (For readers that never insert.) */
export function contains(t: VisitedTable, h: number, l: number): boolean {
  const mask = t.length / SLOT - 1;
  for (let i = home(h, l, mask); t[i * SLOT + 2] !== 0; i = (i + 1) & mask) {
    if (t[i * SLOT + 1] === (l | 0) && t[i * SLOT] === (h | 0)) return true;
  }
  return false;
}

export class VisitedSet {
  private t: VisitedTable;
  private used = 0;

  constructor(initialCapacity = 1 << 16, private readonly shared = false) {
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
   * Returns the id of the state with fingerprint (h, l) if present; otherwise records it under
   * `newId` and returns -1.
   */
  findOrInsert(h: number, l: number, newId: number): number {
    const t = this.t;
    const mask = t.length / SLOT - 1;
    const hi = h | 0;
    const lo = l | 0;
    let at = home(h, l, mask) * SLOT;
    for (;;) {
      const id = t[at + 2]!;
      if (id === 0) break;
      if (t[at + 1] === lo && t[at] === hi) return id - 1;
      at += SLOT;
      if (at === t.length) at = 0;
    }
    t[at] = hi;
    t[at + 1] = lo;
    t[at + 2] = newId + 1;
    if (++this.used * 2 > t.length / SLOT) this.grow();
    return -1;
  }

  /** Doubles the table at half load, so probes stay short and growth is amortised. */
  private grow(): void {
    const old = this.t;
    const next = this.table((old.length / SLOT) * 2);
    const mask = next.length / SLOT - 1;
    for (let j = 0; j < old.length; j += SLOT) {
      if (old[j + 2] === 0) continue;
      let at = home(old[j]! >>> 0, old[j + 1]! >>> 0, mask) * SLOT;
      while (next[at + 2] !== 0) {
        at += SLOT;
        if (at === next.length) at = 0;
      }
      next[at] = old[j]!;
      next[at + 1] = old[j + 1]!;
      next[at + 2] = old[j + 2]!;
    }
    this.t = next;
  }

  private table(slots: number): VisitedTable {
    const bytes = slots * SLOT * 4;
    return new Int32Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }
}
