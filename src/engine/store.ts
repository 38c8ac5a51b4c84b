/**
 * The state store: every distinct state, in discovery (breadth-first) order, as fixed-stride
 * rows in blocks, with its parent and the action that reached it. Because
 * breadth-first search expands states in id order, the store doubles as the search queue.
 */
/** Bytes per state row: the state size rounded up to whole 32-bit words, so rows hash as words. */
export function strideOf(stateSize: number): number {
  return Math.max(4, (stateSize + 3) & ~3);
}

/** Rows per block of the store (the first block grows to this size; later ones start at it). */
const BLOCK_SHIFT = 15;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;

/** The rows of a store: blocks of BLOCK_ROWS rows of `words` 32-bit words each. */
export type Rows = readonly Int32Array[];

/** Copies row `id` of `rows` into `dst`. */
export function loadRow(rows: Rows, words: number, id: number, dst: Int32Array): void {
  const block = rows[id >>> BLOCK_SHIFT]!;
  const at = (id & (BLOCK_ROWS - 1)) * words;
  for (let i = 0; i < words; i++) dst[i] = block[at + i]!;
}

export class StateStore {
  /** Bytes per row: the state size rounded up to whole 32-bit words, so rows hash as words. */
  readonly stride: number;
  private readonly words: number;
  /** The rows, in blocks: a full block is never copied again as the store grows. */
  readonly blocks: Int32Array[];
  parent: Int32Array;
  /** index into the model's actions of the step that reached the state; 0xffff for initial */
  via: Uint16Array;
  count = 0;

  /** `shared`: the blocks live in SharedArrayBuffers, for worker threads to read. */
  constructor(
    readonly stateSize: number,
    initialCapacity = 1 << 12,
    private shared = false,
  ) {
    this.stride = strideOf(stateSize);
    this.words = this.stride >> 2;
    this.blocks = [this.block(Math.min(initialCapacity, BLOCK_ROWS))];
    this.parent = new Int32Array(initialCapacity);
    this.via = new Uint16Array(initialCapacity);
  }

  get bytes(): number {
    return (
      this.parent.length * 6 +
      (this.blocks.length - 1) * BLOCK_ROWS * this.stride +
      this.blocks[0]!.byteLength
    );
  }

  /** One state's row: its bytes, its parent and the action that reached it. */
  get rowBytes(): number {
    return this.stride + 6;
  }

  /** The largest single array the store holds (each must stay under V8's 2^32 bytes). */
  get largestArray(): number {
    return Math.max(this.parent.byteLength, this.blocks[0]!.byteLength);
  }

  /** The blocks' buffers, for worker threads. */
  get buffers(): SharedArrayBuffer[] {
    return this.blocks.map((b) => b.buffer as SharedArrayBuffer);
  }

  /** Moves the rows into shared memory, for worker threads to read. */
  share(): void {
    this.shared = true;
    for (let b = 0; b < this.blocks.length; b++) {
      const copy = new Int32Array(new SharedArrayBuffer(this.blocks[b]!.byteLength));
      copy.set(this.blocks[b]!);
      this.blocks[b] = copy;
    }
  }

  /** Appends a row copied from `src` at word offset `from`; returns its id. */
  add(src: Int32Array, from: number, parent: number, via: number): number {
    const id = this.count;
    if (id === this.parent.length) this.grow();
    const n = this.words;
    const b = id >>> BLOCK_SHIFT;
    const at = (id & (BLOCK_ROWS - 1)) * n;
    if (b === this.blocks.length) this.blocks.push(this.block(BLOCK_ROWS));
    else if (b === 0 && at === this.blocks[0]!.length) this.growFirstBlock();
    const block = this.blocks[b]!;
    if (from === 0 && src.length === n) block.set(src, at);
    else for (let i = 0; i < n; i++) block[at + i] = src[from + i]!;
    this.parent[id] = parent;
    this.via[id] = via;
    this.count = id + 1;
    return id;
  }

  /** Copies state `id` into `dst` (a row of `stride` bytes, as words). */
  load(id: number, dst: Int32Array): void {
    loadRow(this.blocks, this.words, id, dst);
  }

  /** A copy of state `id`, for traces (not for the hot path). */
  get(id: number): Uint8Array {
    const row = new Int32Array(this.words);
    this.load(id, row);
    return new Uint8Array(row.buffer, 0, this.stateSize).slice();
  }

  private block(rows: number): Int32Array {
    const bytes = rows * this.stride;
    return new Int32Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  /** The first block starts small (most searches are small) and doubles up to a full block. */
  private growFirstBlock(): void {
    const old = this.blocks[0]!;
    const next = this.block(Math.min(BLOCK_ROWS, (old.length / this.words) * 2));
    next.set(old);
    this.blocks[0] = next;
  }

  /** Ids from an initial state to `id`, following parent pointers. */
  pathTo(id: number): number[] {
    const path: number[] = [];
    for (let at = id; at >= 0; at = this.parent[at]!) path.push(at);
    return path.reverse();
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const parent = new Int32Array(cap);
    parent.set(this.parent);
    this.parent = parent;
    const via = new Uint16Array(cap);
    via.set(this.via);
    this.via = via;
  }
}

/** Every transition of the explored graph in compressed rows: the successors of state i are
 * targets[start[i] .. start[i+1]), each labelled with its action. Kept for liveness only. */
export class EdgeStore {
  start: Int32Array = new Int32Array(1 << 12);
  targets: Int32Array = new Int32Array(1 << 14);
  actions = new Uint16Array(1 << 14);
  count = 0;
  private rows = 0;

  get bytes(): number {
    return this.start.length * 4 + this.targets.length * 6;
  }

  /** Marks the start of state `id`'s row; rows must be opened in id order. */
  openRow(id: number): void {
    while (this.rows <= id + 1) {
      if (this.rows + 1 >= this.start.length) this.start = growInt32(this.start);
      this.start[this.rows++] = this.count;
    }
  }

  add(target: number, action: number): void {
    if (this.count === this.targets.length) {
      this.targets = growInt32(this.targets);
      const a = new Uint16Array(this.targets.length);
      a.set(this.actions);
      this.actions = a;
    }
    this.targets[this.count] = target;
    this.actions[this.count++] = action;
    this.start[this.rows - 1] = this.count;
  }

  /** Closes the table so that every state up to `states` has a (possibly empty) row. */
  finish(states: number): void {
    this.openRow(states - 1);
  }
}

function growInt32(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
