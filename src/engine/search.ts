import type { CheckOptions, CheckResult } from './options.js';
import { holds, inModel, ModelError } from './errors.js';
import { collisionProbability, fingerprint, fp } from './fingerprint.js';
import { getHeapStatistics } from 'node:v8';
import { checkLiveness, livenessBytes } from './liveness.js';
import { coverageOf } from './coverage.js';
import type { Invariant, Model, State } from './model.js';
import { BATCH, CUT_OFF, DEADLOCKED, SuccessorBatch } from './batch.js';
import { ownerOf, type Part } from './parallel-protocol.js';
import { PartRows } from './partition.js';
import { reducesLiveness, StubbornSets } from './por.js';
import { Spill } from './spill.js';
import { BLOCK_SHIFT, EdgeStore, StateStore } from './store.js';
import { SuccessorBuffer } from './successors.js';
import { INITIAL, step, type Counterexample, type TraceStep } from './trace.js';
import { readAhead, VisitedSet } from './visited.js';

const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;

/** What `admit` returns for a state already known. */
const KNOWN = -2;

const DEADLOCK_DOC = 'A state with no successors that the model does not call final.';

/**
 * The state of a breadth-first search: the store (which is also the queue), the visited set,
 * the edges kept for liveness, and what was found. States are expanded in id order, here
 * (`expandNext`), or, once the parallel search has moved the level's states and the visited
 * table into partitions (`partition`, parallel.ts), the store keeps the parent log of the states
 * the partitions find, in the same order: the same ids, counts and counterexamples.
 */
export class Search {
  readonly store: StateStore;
  readonly visited: VisitedSet;
  readonly edges: EdgeStore | undefined;
  head = 0;
  depth = 0;
  transitions = 0;
  violation: Counterexample | undefined;
  stoppedBy: CheckResult['stoppedBy'];
  readonly findings: Counterexample[] = [];
  private levelEnd: number;
  /** the first id of the level being expanded */
  levelStart = 0;
  private nextReport = 1 << 14;
  private readonly started = performance.now();
  private readonly stride: number;
  private readonly words: number;
  private readonly batch: SuccessorBatch;
  /** the sum of the slots read ahead (kept so that the reads are not optimised away) */
  private touched = 0;
  private readonly safety: Invariant[];
  private readonly findingProps: Invariant[];
  private readonly deadlock: boolean;
  private readonly initialCount: number;
  private readonly canonical: ((s: State) => void) | undefined;
  private readonly por: boolean;
  private nextHeapCheck = 0;
  /** The initial states' rows: a trace is rebuilt from one of them when the store keeps only
   * its frontier. */
  private readonly initialRows: Int32Array[] = [];
  /** successors generated again to rebuild a trace (made when first needed) */
  private replay: SuccessorBatch | undefined;

  /** the most bytes the run's tables held at once */
  private peakBytes = 0;

  /** the bytes the partitions of a parallel search hold (parallel.ts), their tables' among them */
  partsBytes = 0;
  partsVisitedBytes = 0;

  // The bounds as numbers: read on every state.
  readonly maxDepth: number;
  private readonly maxStates: number;
  /** Successors generated per action: only with `coverage` (otherwise nothing is counted). */
  private readonly fired: Float64Array | undefined;

  constructor(
    readonly model: Model,
    private readonly options: CheckOptions,
  ) {
    const size = model.stateSize;
    this.maxDepth = options.maxDepth ?? Infinity;
    this.maxStates = options.maxStates ?? Infinity;
    this.edges =
      options.liveness !== false &&
      !options.symmetry &&
      (!options.por || reducesLiveness(model, options.fairness !== false)) &&
      (model.liveness?.length ?? 0) > 0
        ? new EdgeStore()
        : undefined;
    // Liveness needs every state again after the search, coverage too; a safety search keeps
    // the frontier's rows only, and rebuilds a trace by running the model again.
    const keep = this.edges || options.coverage ? 'all' : 'frontier';
    this.store = new StateStore(size, 1 << 12, keep);

    this.stride = this.store.stride;
    this.words = this.stride >> 2;
    if (options.symmetry && !model.canonical)
      throw new ModelError(
        'symmetry reduction asked for, but the model declares no symmetry (canonical)',
      );
    this.canonical = options.symmetry ? model.canonical!.bind(model) : undefined;
    // Only the edges of liveness need the id of a state found again.
    this.visited = new VisitedSet(1 << 16, { kind: this.edges ? 'ids' : 'plain' });
    this.visited.budget = (bytes) => this.visitedMayGrow(bytes);
    if (model.actions.length >= INITIAL)
      throw new ModelError(
        `model has ${model.actions.length} actions; at most ${INITIAL - 1} are supported`,
      );
    this.safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
    this.findingProps = (model.invariants ?? []).filter((i) => i.severity === 'finding');
    this.deadlock = options.deadlock ?? model.deadlock ?? true;
    this.batch = new SuccessorBatch(
      model,
      this.deadlock,
      options.por
        ? new StubbornSets(model, this.edges ? { fairness: options.fairness !== false } : undefined)
        : undefined,
    );
    this.por = options.por === true;
    this.fired = options.coverage ? new Float64Array(model.actions.length) : undefined;

    // Initial states go through the successor buffer so they are hashed like any other.
    const initial = inModel('initial()', () => model.initial());
    this.initialCount = initial.length;
    const buf = new SuccessorBuffer(model.stateSize, this.stride);
    buf.reset(new Int32Array(this.words));
    for (const s of initial) {
      if (s.length !== size)
        throw new ModelError(
          `initial() returned a state of ${s.length} variables; stateSize is ${size}`,
        );
      buf.next().set(s);
    }
    for (let k = 0; k < buf.count && !this.violation && !this.stoppedBy; k++) {
      this.canonical?.(buf.view(k));
      fingerprint(buf.words, k * this.words, this.words);
      if (this.visited.findOrInsert(fp[0]!, fp[1]!, this.slotWord()) >= 0) continue;
      const id = this.addNew(buf.row(k), 0, -1, 0, INITIAL);
      if (id < 0) continue;
      this.initialRows.push(buf.row(k).slice());
      this.checkNew(buf.view(k), id);
    }
    this.levelEnd = this.store.count;
  }

  /** Seconds since the search began. */
  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Moves to the next state to expand: false when the search is over (done, or a bound). */
  nextState(): boolean {
    if (this.head >= this.store.count || this.violation || this.stoppedBy) return false;
    if (this.head === this.levelEnd) {
      this.depth++;
      this.levelStart = this.head;
      this.levelEnd = this.store.count;
    }
    if (this.depth >= this.maxDepth) return this.stop('max-depth');
    this.progress();
    this.store.release(this.head);
    // Every batch: one batch's successors may be many (a state may have thousands).
    if (!this.memoryLeft() && !this.spillQueue()) return false;
    return true;
  }

  /** At the memory bound: moves the queue's blocks to disk if the run may (--spill), so that it
   * goes on; otherwise, or if that is not enough, the search stops. False when it stops. */
  private spillQueue(): boolean {
    const { store, options } = this;
    // The run's directory is made when first needed.
    if (options.spill && store.keep === 'frontier') store.spill ??= new Spill(options.spill);
    if (store.spill && store.spillQueue(this.head) > 0 && this.memoryLeft()) return true;
    return this.stop(store.spill?.full ? 'max-disk' : 'max-memory');
  }

  /** Reports progress every 16,384 states expanded. */
  progress(): void {
    if (this.head < this.nextReport) return;
    this.nextReport = (this.head & ~((1 << 14) - 1)) + (1 << 14);
    this.report();
  }

  /** Expands the next batch here: BATCH states from `head`, within the level. */
  expandNext(): void {
    const from = this.head;
    this.head = Math.min(this.levelEnd, from + BATCH);
    this.store.ensure(from, this.head);
    this.expandBatch(from, this.head);
  }

  /** The states of the current BFS level still to expand: [head, levelEnd). */
  get levelRange(): [number, number] {
    return [this.head, this.levelEnd];
  }

  /**
   * Expands states [from, to) of the current level here. First every successor of each of them
   * is generated and fingerprinted; then, once every successor's slot in the visited table has
   * been read ahead (the reads' cache misses overlap, where one at a time they would wait in
   * turn), they are admitted in order, with the invariants and the deadlock check, exactly as
   * one state at a time would: the same ids, counts and counterexamples.
   */
  private expandBatch(from: number, to: number): void {
    const { store, edges, batch, fired } = this;
    batch.generate(store.blocks, from, to, this.canonical);
    const buf = batch.buf;
    this.touched += readAhead(
      this.visited.current,
      this.visited.slot,
      batch.fingerprints,
      batch.count,
    );
    for (let id = from; id < to; id++) {
      const i = id - from;
      if (batch.outcome[i] === CUT_OFF) continue;
      if (fired)
        for (let k = batch.first[i]!; k < batch.first[i + 1]!; k++) fired[batch.action[k]!]!++;
      edges?.openRow(id);
      // With partial-order reduction, the stubborn set's successors first; the rest too if one
      // of them was already known (the cycle proviso, por.ts).
      let pass = this.por && batch.reduced[i] ? 1 : 0;
      let known = false;
      do {
        for (let k = batch.first[i]!; k < batch.first[i + 1]!; k++) {
          if (pass === 1 ? !batch.kept[k] : pass === 2 && batch.kept[k]) continue;
          this.transitions++;
          const next = this.admit(
            batch.fingerprints[2 * k]!,
            batch.fingerprints[2 * k + 1]!,
            buf.row(k),
            0,
            id,
            k - batch.first[i]!,
            batch.action[k]!,
          );
          if (next === KNOWN) known = true;
          else if (next >= 0 ? !this.checkNew(buf.view(k), next) : this.stoppedBy !== undefined)
            return;
        }
        pass = pass === 1 && known ? 2 : 0;
      } while (pass !== 0);
      if (batch.outcome[i] === DEADLOCKED) {
        this.violation = {
          kind: 'deadlock',
          property: 'deadlock',
          doc: DEADLOCK_DOC,
          trace: this.traceTo(id),
        };
        return;
      }
    }
  }

  /**
   * Moves the level's states (it must be at its start) and the visited table into `parts`
   * partitions for the parallel search (parallel.ts): each partition's table holds the
   * fingerprints it owns, its rows the level's states it owns, in order, with their positions.
   * The store keeps the parent log from now on (`addFound`).
   */
  partition(parts: number): Part[] {
    const { store, words } = this;
    const from = this.levelStart;
    const to = store.count;
    const tables = Array.from({ length: parts }, () =>
      VisitedSet.sized(Math.ceil((this.visited.size / parts) * 1.1), true),
    );
    this.visited.forEach((hi, lo) => tables[ownerOf(hi, parts)]!.findOrInsert(hi, lo, 0));
    const rows = Array.from({ length: parts }, () => new PartRows(words));
    const row = new Int32Array(words);
    for (let id = from; id < to; id++) {
      store.load(id, row);
      fingerprint(row, 0, words);
      rows[ownerOf(fp[0]!, parts)]!.push(row, 0, id - from);
    }
    this.visited.clear();
    store.dropRows();
    return tables.map((t, i) => ({
      visited: t.current,
      used: t.size,
      ...rows[i]!.part(),
    }));
  }

  /** Takes the level (at its start) and the visited table back from the partitions: the
   * search goes on here alone. */
  unpartition(parts: readonly Part[]): void {
    const { store, words } = this;
    const from = store.count - parts.reduce((n, p) => n + p.count, 0);
    this.visited.clear();
    for (const p of parts) {
      const t = VisitedSet.over(p.visited, p.used);
      this.visited.reserve(p.used);
      t.forEach((hi, lo) => this.visited.findOrInsert(hi, lo, 0));
      for (let i = 0; i < p.count; i++)
        store.restore(from + p.pos[i]!, p.rows[i >>> BLOCK_SHIFT]!, (i & BLOCK_MASK) * words);
    }
    this.head = this.levelStart = from;
    this.levelEnd = store.count;
    this.partsBytes = 0;
    this.partsVisitedBytes = 0;
  }

  /** A state a partition found, the `ordinal`-th successor of `parent`: its id, or -1 if the
   * search stopped (--max-states). */
  addFound(parent: number, ordinal: number): number {
    if (this.store.count >= this.maxStates) {
      this.stop('max-states');
      return -1;
    }
    return this.store.addUnkept(parent, ordinal);
  }

  /** The partitions found state `id` breaking safety invariant `index`. */
  broken(id: number, index: number): void {
    const bad = this.safety[index]!;
    this.violation = {
      kind: 'invariant',
      property: bad.name,
      doc: bad.doc,
      trace: this.traceTo(id),
    };
  }

  /** The partitions found state `id` without successors. */
  deadlocked(id: number): void {
    this.violation = {
      kind: 'deadlock',
      property: 'deadlock',
      doc: DEADLOCK_DOC,
      trace: this.traceTo(id),
    };
  }

  /** The partitions found state `id` failing finding invariant `index` (the first is kept). */
  failing(index: number, id: number): void {
    this.recordFinding(this.findingProps[index]!, id);
  }

  /** A transition to the state with fingerprint (h, l), whose words are at `from` in `src`:
   * its edge, and the state itself when new. Returns the new state's id, KNOWN if it was known,
   * or -1 if the search stopped (--max-states). */
  private admit(
    h: number,
    l: number,
    src: Int32Array,
    from: number,
    parent: number,
    ordinal: number,
    action: number,
  ): number {
    const known = this.visited.findOrInsert(h, l, this.slotWord());
    if (known >= 0) {
      this.edges?.add(known, action);
      return KNOWN;
    }
    const next = this.addNew(src, from, parent, ordinal, action);
    if (next >= 0) this.edges?.add(next, action);
    return next;
  }

  /** Stores a new state, unless the store already holds --max-states: then the search stops
   * (with exactly that many states known) and this returns -1. */
  private addNew(
    src: Int32Array,
    from: number,
    parent: number,
    ordinal: number,
    action: number,
  ): number {
    if (this.store.count >= this.maxStates) {
      this.stop('max-states');
      return -1;
    }
    return this.store.add(src, from, parent, ordinal, action);
  }

  /** What the visited table keeps of a state: its id for the edges. */
  private slotWord(): number {
    return this.edges ? this.store.count : 0;
  }

  /** Ends the search: liveness when it was complete, then the result. */
  finish(): CheckResult {
    this.close();
    const { store, visited, edges } = this;
    // The depth reached is that of the deepest state found (initial states are depth 0).
    if (this.head >= store.count || this.violation) this.depth = stateDepth(store, store.count - 1);
    this.report();
    if (!this.violation && !this.stoppedBy && edges) {
      edges.finish(store.count);
      this.violation = checkLiveness(this.model, store, edges, this.options.fairness !== false);
    }
    const seconds = this.seconds;
    const violation = this.violation;
    const stoppedBy = this.stoppedBy;
    return {
      result: violation ? 'violation' : stoppedBy ? 'incomplete' : 'ok',
      ...(stoppedBy && !violation ? { stoppedBy } : {}),
      distinctStates: store.count,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      statesPerSecond: Math.round(store.count / Math.max(seconds, 1e-6)),
      collisionProbability: collisionProbability(store.count, this.transitions + this.initialCount),
      bytesPerState: Math.round(
        Math.max(this.peakBytes, this.tableBytes()) / Math.max(1, store.count),
      ),
      bytesPerVisitedState: Math.round(
        store.visitedBytes + (visited.bytes + this.partsVisitedBytes) / Math.max(1, store.count),
      ),
      bytesPerQueuedState: store.stride,
      ...(this.options.spill && this.store.keep === 'frontier'
        ? { spilledBytes: this.store.spill?.peak ?? 0 }
        : {}),
      ...(violation ? { violation } : {}),
      ...(this.por ? { reduction: this.reduction() } : {}),
      findings: this.findings,
      ...(this.fired ? { coverage: coverageOf(this.model, store, this.fired, this.head) } : {}),
    };
  }

  report(): void {
    this.options.onProgress?.({
      states: this.store.count,
      transitions: this.transitions,
      queue: this.store.count - this.head,
      depth: this.depth,
      seconds: (performance.now() - this.started) / 1000,
    });
  }

  /** Whether V8's heap has a quarter of its limit free, and at least 64 MiB (the limit counts
   * the young generation too, which the old one cannot grow into). Asked every 4,096 states:
   * the statistics cost a microsecond or two, a batch's expansion not much more. */
  private heapLeft(): boolean {
    if (this.store.count < this.nextHeapCheck) return true;
    this.nextHeapCheck = this.store.count + 4096;
    const heap = getHeapStatistics();
    return (
      heap.used_heap_size + Math.max(heap.heap_size_limit / 4, 64 * 2 ** 20) <= heap.heap_size_limit
    );
  }

  /** What partial-order reduction checked on the reduced graph, and what it left unchecked. */
  private reduction(): NonNullable<CheckResult['reduction']> {
    const { model } = this;
    return {
      method: 'stubborn-sets',
      reduced: [
        ...(model.invariants ?? []).map((i) => i.name),
        ...(this.deadlock ? ['deadlock'] : []),
        ...(this.edges ? model.liveness!.map((l) => l.name) : []),
      ],
      notChecked:
        this.options.liveness === false || this.edges
          ? []
          : (model.liveness ?? []).map((l) => l.name),
    };
  }

  /** Everything the run keeps per state or per edge (the tables, and for liveness its edges and
   * the working arrays of the check that follows the search) must fit in the budget with room
   * for the next growth of the tables that grow unasked (`growthReserve`); the visited table,
   * the largest, asks before it doubles (`visitedMayGrow`), and is `crowded` when it may not.
   * Each table must fit in one typed array (Node 20's V8 allows at most 2^32 elements, whatever
   * their size), and V8's own heap must keep room (the engine keeps little there, traces mostly,
   * but a model may, and a bound that V8 reaches first is a crash, not an incomplete run). */
  memoryLeft(visitedBytes = this.visited.bytes): boolean {
    const { store, edges } = this;
    const max = this.options.maxMemory ?? Infinity;
    const bytes = this.tableBytes(visitedBytes);
    if (bytes > this.peakBytes) this.peakBytes = bytes;
    return (
      bytes + this.growthReserve() <= max &&
      !this.visited.crowded &&
      2 * Math.max(store.largestArray, edges?.targets.length ?? 0) <= 2 ** 32 &&
      this.heapLeft()
    );
  }

  /** Whether the visited table may move to a new one of `bytes`: the old one is held while the
   * fingerprints move, so both, the other tables and their reserve must fit. */
  private visitedMayGrow(bytes: number): boolean {
    const peak = this.tableBytes() + bytes;
    const max = this.options.maxMemory ?? Infinity;
    if (bytes / 4 > 2 ** 32 || peak + this.growthReserve() > max) return false;
    if (peak > this.peakBytes) this.peakBytes = peak;
    return true;
  }

  /** What the tables that grow without asking may allocate next: the store's next blocks, and
   * the arrays that double (the actions that reached the states, the edges of liveness) while
   * their old copy is held. */
  growthReserve(): number {
    return this.store.growthBytes + 2 * (this.edges?.bytes ?? 0);
  }

  /** The bytes of the run's tables now (with the visited table at `visitedBytes`), and for
   * liveness the working arrays of the check that follows the search. */
  tableBytes(visitedBytes = this.visited.bytes): number {
    const { store, edges } = this;
    const liveness = edges ? livenessBytes(store.count, this.model.liveness!.length) : 0;
    return store.bytes + visitedBytes + (edges?.bytes ?? 0) + liveness + this.partsBytes;
  }

  /** Removes the run's files on disk (spilled blocks of the queue). */
  close(): void {
    this.store.spill?.close();
  }

  stop(bound: NonNullable<CheckResult['stoppedBy']>): false {
    this.stoppedBy = bound;
    return false;
  }

  private traceTo(id: number): TraceStep[] {
    const { store, model } = this;
    const path = store.pathTo(id);
    if (store.keep === 'all')
      return path.map((i) => step(model.actions, store.via[i]!, store.get(i)));
    return this.rebuild(path);
  }

  /**
   * The states of a path of ids when the store keeps only its frontier: from the initial
   * state, each next one is its parent's successor of the ordinal the store kept, generated
   * again (the model is deterministic: the same state has the same successors, in order).
   */
  private rebuild(path: number[]): TraceStep[] {
    const { model, store } = this;
    this.replay ??= new SuccessorBatch(model, false);
    const replay = this.replay;
    const row = this.initialRows[path[0]!]!.slice();
    const state = () => new Uint8Array(row.buffer, 0, model.stateSize).slice();
    const trace = [step(model.actions, INITIAL, state())];
    for (let j = 1; j < path.length; j++) {
      replay.generate([row], 0, 1, this.canonical);
      const k = store.parents.ordinalOf(path[j]!);
      if (k >= replay.count)
        throw new ModelError(
          `rebuilding a trace: state ${path[j - 1]} has ${replay.count} successors now, not ${k + 1}: is the model deterministic?`,
        );
      row.set(replay.buf.row(k));
      trace.push(step(model.actions, replay.action[k]!, state()));
    }
    const last = path[path.length - 1]!;
    if (store.has(last) && store.get(last).some((x, i) => x !== trace[trace.length - 1]!.state[i]))
      throw new ModelError(
        `rebuilding a trace: state ${last} came out different when its path was run again: is the model deterministic?`,
      );
    return trace;
  }

  /** The invariants on a new state: false (and the violation) when a safety one breaks. */
  private checkNew(s: State, id: number): boolean {
    const bad = firstBroken(this.safety, s);
    if (bad) {
      this.violation = {
        kind: 'invariant',
        property: bad.name,
        doc: bad.doc,
        trace: this.traceTo(id),
      };
      return false;
    }
    this.checkFindings(s, id);
    return true;
  }

  private checkFindings(s: State, id: number): void {
    for (const f of this.findingProps) if (!holds(f, s)) this.recordFinding(f, id);
  }

  /** The first (shortest) counterexample of each finding is kept. */
  private recordFinding(f: Invariant, id: number): void {
    if (this.findings.some((x) => x.property === f.name)) return;
    this.findings.push({
      kind: f.findingKind ?? 'finding',
      property: f.name,
      doc: f.doc,
      trace: this.traceTo(id),
    });
  }
}

function firstBroken(invariants: readonly Invariant[], s: State): Invariant | undefined {
  for (let i = 0; i < invariants.length; i++) if (!holds(invariants[i]!, s)) return invariants[i];
  return undefined;
}

/** Depth of a state: the number of steps from an initial state. */
function stateDepth(store: StateStore, id: number): number {
  return id < 0 ? 0 : store.pathTo(id).length - 1;
}
