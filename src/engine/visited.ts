/**
 * The visited set: an open-addressing (linear probing) table of 64-bit fingerprints, each
 * mapped to the id of the state it stands for. Three typed arrays, no per-entry objects.
 */
export class VisitedSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** state id + 1, 0 = empty slot */
  private ids: Int32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 16) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  get bytes(): number {
    return this.ids.length * 12;
  }

  /**
   * Returns the id of the state with fingerprint (h, l) if present; otherwise records it under
   * `newId` and returns -1.
   */
  findOrInsert(h: number, l: number, newId: number): number {
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    const ids = this.ids;
    for (;;) {
      const id = ids[i]!;
      if (id === 0) break;
      if (this.lo[i] === l && this.hi[i] === h) return id - 1;
      i = (i + 1) & this.mask;
    }
    ids[i] = newId + 1;
    this.hi[i] = h;
    this.lo[i] = l;
    if (++this.used * 2 > this.ids.length) this.grow();
    return -1;
  }

  /** Doubles the table at half load, so probes stay short and growth is amortised. */
  private grow(): void {
    const { hi, lo, ids } = this;
    const cap = ids.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j]!;
      if (id === 0) continue;
      let i = (lo[j]! ^ Math.imul(hi[j]!, 0x9e3779b1)) & this.mask;
      while (this.ids[i] !== 0) i = (i + 1) & this.mask;
      this.ids[i] = id;
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
    }
  }
}
