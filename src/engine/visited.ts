/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints, each
 * mapped to the id of the state it stands for. Three typed arrays, no per-entry objects. With
 * `shared`, they live in SharedArrayBuffers that worker threads probe (read-only) between
 * insertions.
 */
export interface VisitedTables {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** state id + 1, 0 = empty slot */
  readonly ids: Int32Array;
}

/** The first slot of a fingerprint's probe sequence. */
const home = (h: number, l: number, mask: number) => (l ^ Math.imul(h, 0x9e3779b1)) & mask;

/** Is fingerprint (h, l) in the tables? (For readers that never insert.) */
export function contains(t: VisitedTables, h: number, l: number): boolean {
  const mask = t.ids.length - 1;
  for (let i = home(h, l, mask); t.ids[i] !== 0; i = (i + 1) & mask) {
    if (t.lo[i] === l && t.hi[i] === h) return true;
  }
  return false;
}

export class VisitedSet {
  private t: VisitedTables;
  private used = 0;

  constructor(initialCapacity = 1 << 16, private readonly shared = false) {
    this.t = this.tables(1 << Math.ceil(Math.log2(Math.max(16, initialCapacity))));
  }

  get size(): number {
    return this.used;
  }

  get bytes(): number {
    return this.t.ids.length * 12;
  }

  /** The arrays as they are now (they are replaced when the table grows). */
  get current(): VisitedTables {
    return this.t;
  }

  /**
   * Returns the id of the state with fingerprint (h, l) if present; otherwise records it under
   * `newId` and returns -1.
   */
  findOrInsert(h: number, l: number, newId: number): number {
    const { hi, lo, ids } = this.t;
    const mask = ids.length - 1;
    let i = home(h, l, mask);
    for (;;) {
      const id = ids[i]!;
      if (id === 0) break;
      if (lo[i] === l && hi[i] === h) return id - 1;
      i = (i + 1) & mask;
    }
    ids[i] = newId + 1;
    hi[i] = h;
    lo[i] = l;
    if (++this.used * 2 > ids.length) this.grow();
    return -1;
  }

  /** Doubles the table at half load, so probes stay short and growth is amortised. */
  private grow(): void {
    const old = this.t;
    const next = this.tables(old.ids.length * 2);
    const mask = next.ids.length - 1;
    for (let j = 0; j < old.ids.length; j++) {
      const id = old.ids[j]!;
      if (id === 0) continue;
      let i = home(old.hi[j]!, old.lo[j]!, mask);
      while (next.ids[i] !== 0) i = (i + 1) & mask;
      next.ids[i] = id;
      next.hi[i] = old.hi[j]!;
      next.lo[i] = old.lo[j]!;
    }
    this.t = next;
  }

  private tables(cap: number): VisitedTables {
    const buffer = (n: number) => (this.shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
    return { hi: new Uint32Array(buffer(cap * 4)), lo: new Uint32Array(buffer(cap * 4)), ids: new Int32Array(buffer(cap * 4)) };
  }
}
