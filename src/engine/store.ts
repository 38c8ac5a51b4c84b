/**
 * The state store: every distinct state, in discovery (breadth-first) order, as fixed-stride
 * rows of one growable byte arena, with its parent and the action that reached it. Because
 * breadth-first search expands states in id order, the store doubles as the search queue.
 */
/** Bytes per state row: the state size rounded up to whole 32-bit words, so rows hash as words. */
export function strideOf(stateSize: number): number {
  return Math.max(4, (stateSize + 3) & ~3);
}

export class StateStore {
  /** Bytes per row: the state size rounded up to whole 32-bit words, so rows hash as words. */
  readonly stride: number;
  arena: Uint8Array;
  /** the arena as 32-bit words (rows are copied a word at a time) */
  arenaWords: Int32Array;
  parent: Int32Array;
  /** index into the model's actions of the step that reached the state; 0xffff for initial */
  via: Uint16Array;
  count = 0;

  /** `shared`: the arena lives in a SharedArrayBuffer, for worker threads to read. */
  constructor(readonly stateSize: number, initialCapacity = 1 << 12, private readonly shared = false) {
    this.stride = strideOf(stateSize);
    this.arena = this.bytesOf(initialCapacity * this.stride);
    this.arenaWords = new Int32Array(this.arena.buffer);
    this.parent = new Int32Array(initialCapacity);
    this.via = new Uint16Array(initialCapacity);
  }

  get bytes(): number {
    return this.arena.length + this.parent.length * 6;
  }

  /** One state's row: its bytes, its parent and the action that reached it. */
  get rowBytes(): number {
    return this.stride + 6;
  }

  /** Appends a row copied from `src` at word offset `from`; returns its id. */
  add(src: Int32Array, from: number, parent: number, via: number): number {
    const id = this.count;
    if (id === this.parent.length) this.grow();
    const n = this.stride >> 2;
    const at = id * n;
    const arena = this.arenaWords;
    if (from === 0 && src.length === n) arena.set(src, at);
    else for (let i = 0; i < n; i++) arena[at + i] = src[from + i]!;
    this.parent[id] = parent;
    this.via[id] = via;
    this.count = id + 1;
    return id;
  }

  /** Copies state `id` into `dst` (a row of `stride` bytes, as words). */
  load(id: number, dst: Int32Array): void {
    const n = this.stride >> 2;
    const at = id * n;
    const arena = this.arenaWords;
    for (let i = 0; i < n; i++) dst[i] = arena[at + i]!;
  }

  /** A copy of state `id`, for traces (not for the hot path). */
  get(id: number): Uint8Array {
    return this.arena.slice(id * this.stride, id * this.stride + this.stateSize);
  }

  private bytesOf(n: number): Uint8Array {
    return new Uint8Array(this.shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  }

  /** Ids from an initial state to `id`, following parent pointers. */
  pathTo(id: number): number[] {
    const path: number[] = [];
    for (let at = id; at >= 0; at = this.parent[at]!) path.push(at);
    return path.reverse();
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const arena = this.bytesOf(cap * this.stride);
    arena.set(this.arena);
    this.arena = arena;
    this.arenaWords = new Int32Array(arena.buffer);
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
