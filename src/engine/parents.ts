/**
 * The parent log: for every state, in id order, the state it was first reached from and which
 * of that state's successors it was (its ordinal: the index in the parent's list of successors,
 * state then action, as batch.ts generates them). That is enough to rebuild any state by
 * re-executing the model from an initial state (as TLC rebuilds its traces from fingerprints),
 * so the visited states themselves need not be kept.
 *
 * Two bytes a state. Breadth-first search discovers states in the order of their parents, so a
 * state's parent is its predecessor's parent or a later one: the log keeps the difference (one
 * byte; 255 and a side table for the rare larger one) and every 256th state's parent in full, so
 * a lookup adds at most 255 bytes. Ordinals take one byte each until one does not fit; then
 * every block widens (a model whose states have 255 successors or more).
 */
const SHIFT = 16;
const ROWS = 1 << SHIFT;
const CHECKPOINT = 8; // every 2^8-th state's parent is kept in full
const ESCAPE = 255;

type Ordinals = Uint8Array | Uint16Array | Uint32Array;

export class ParentLog {
  count = 0;
  private readonly deltas: Uint8Array[] = [];
  private readonly checkpoints: Int32Array[] = [];
  private ordinals: Ordinals[] = [];
  /** the differences of 255 or more, by id */
  private readonly large = new Map<number, number>();
  private last = -1;
  private initials = 0;

  get bytes(): number {
    let rows = 0;
    for (const d of this.deltas) rows += d.length;
    // a Map entry costs about 40 bytes in V8
    return this.rowsBytes(rows) + this.large.size * 40;
  }

  /** The bytes of one more block of the log. */
  get blockBytes(): number {
    return this.rowsBytes(ROWS);
  }

  /** What `rows` rows of the log take: a delta and an ordinal each, and their checkpoints. */
  private rowsBytes(rows: number): number {
    const ordinal = this.ordinals[0]?.BYTES_PER_ELEMENT ?? 1;
    return rows * (1 + ordinal) + (rows >> CHECKPOINT) * 4;
  }

  /** The initial states: the first ids, without a parent. */
  get initialCount(): number {
    return this.initials;
  }

  /** Appends the next state's parent (-1 for an initial state) and ordinal. */
  add(parent: number, ordinal: number): void {
    const id = this.count;
    const b = id >>> SHIFT;
    const at = id & (ROWS - 1);
    if (b === this.deltas.length) this.addBlock(b === 0 ? 1 << 12 : ROWS);
    else if (at === this.deltas[b]!.length) this.growFirstBlock();
    const delta = parent - this.last;
    if (delta < 0)
      throw new Error(`parent log: state ${id}'s parent ${parent} precedes ${this.last}`);
    if ((at & ((1 << CHECKPOINT) - 1)) === 0) this.checkpoints[b]![at >>> CHECKPOINT] = parent;
    if (delta >= ESCAPE) {
      this.deltas[b]![at] = ESCAPE;
      this.large.set(id, delta);
    } else this.deltas[b]![at] = delta;
    if (ordinal >= 2 ** (8 * this.ordinals[b]!.BYTES_PER_ELEMENT) - 1) this.widen(ordinal);
    this.ordinals[b]![at] = ordinal;
    if (parent < 0) this.initials++;
    this.last = parent;
    this.count = id + 1;
  }

  parentOf(id: number): number {
    const b = id >>> SHIFT;
    const at = id & (ROWS - 1);
    const deltas = this.deltas[b]!;
    const from = at & ~((1 << CHECKPOINT) - 1);
    let parent = this.checkpoints[b]![from >>> CHECKPOINT]!;
    for (let k = from + 1; k <= at; k++)
      parent += deltas[k] === ESCAPE ? this.large.get((b << SHIFT) | k)! : deltas[k]!;
    return parent;
  }

  ordinalOf(id: number): number {
    return this.ordinals[id >>> SHIFT]![id & (ROWS - 1)]!;
  }

  /** Ids from an initial state to `id`. */
  pathTo(id: number): number[] {
    const path: number[] = [];
    for (let at = id; at >= 0; at = this.parentOf(at)) path.push(at);
    return path.reverse();
  }

  private addBlock(rows: number): void {
    this.deltas.push(new Uint8Array(rows));
    this.checkpoints.push(new Int32Array(rows >> CHECKPOINT));
    const Kind = (this.ordinals[0]?.constructor ?? Uint8Array) as new (n: number) => Ordinals;
    this.ordinals.push(new Kind(rows));
  }

  /** The first block starts small (most searches are small) and doubles up to a full block. */
  private growFirstBlock(): void {
    const rows = this.deltas[0]!.length * 2;
    this.deltas[0] = copyInto(new Uint8Array(rows), this.deltas[0]!);
    this.checkpoints[0] = copyInto(new Int32Array(rows >> CHECKPOINT), this.checkpoints[0]!);
    const Kind = this.ordinals[0]!.constructor as new (n: number) => Ordinals;
    this.ordinals[0] = copyInto(new Kind(rows), this.ordinals[0]!);
  }

  /** Moves every block's ordinals to an array wide enough for `ordinal`. */
  private widen(ordinal: number): void {
    const Kind = ordinal < 0xffff ? Uint16Array : Uint32Array;
    this.ordinals = this.ordinals.map((o) => copyInto(new Kind(o.length), o));
  }
}

function copyInto<T extends Ordinals | Int32Array>(to: T, from: Ordinals | Int32Array): T {
  to.set(from);
  return to;
}
