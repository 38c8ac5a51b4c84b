import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CheckOptions, CheckResult } from './options.js';
import { ModelError } from './errors.js';
import type { Model } from './model.js';
import {
  STOP_MEMORY,
  STOP_VIOLATION,
  type Admitted,
  type AdmitJob,
  type Expanded,
  type ExpandJob,
  type ModelRef,
  type Part,
} from './parallel-protocol.js';
import { outBytes, Partitioner } from './partition.js';
import { Search } from './search.js';
import { threadCpuSeconds } from './thread-cpu.js';

/** Levels smaller than this are expanded on this thread alone: a level's two round trips to
 * the workers would cost more than sharing it saves. */
const PARALLEL_LEVEL = 2048;

/** For threads that join only where they pay, the CPU seconds a search runs on this thread alone
 * before they start (if a core is idle then): starting them (loading the model, compiling the
 * partition code) costs more than they save on shorter runs (docs/performance.md). */
export const JOIN_AFTER = 2;

/** When threads join a search that starts alone. */
export interface Join {
  /** the CPU seconds the search runs alone first */
  readonly afterCpuSeconds: number;
  /** join only if a core is idle */
  readonly onlyIfIdle: boolean;
}

/** The CPU time this process has used, in seconds: the run's length so far, whatever else the
 * machine is doing. */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Whether a core is idle (the last minute's load average leaves one free): threads that would
 * only take turns with other processes on the same cores cannot pay for themselves. */
const coreIdle = () => loadavg()[0]! <= availableParallelism() - 1;

/** The default number of threads that expand states: one per core. */
export const defaultWorkers = (): number => availableParallelism();

/**
 * Breadth-first search with `threads` threads: this one and threads - 1 workers. The search
 * starts here, as the sequential one; at the first wide level once the workers are ready, the
 * level's states and the visited table move into one partition per thread, each owning the
 * states whose fingerprints fall in its range (partition.ts). Then each level goes in two steps
 * that every thread does for its own partition at once: expand its states (the successors not
 * known before the level go to their owners), then admit the new states sent to it, in the
 * order of their keys (parent's position in the level, ordinal). This thread orders the
 * partitions' new states by key, which is the order of the sequential search (a state's first
 * discovery is under its least key), and keeps their parents: the ids, counts, transitions and
 * counterexamples are those of one thread, also where a violation, a deadlock or --max-states
 * ends the search within a level. `ref` tells each worker how to build the same model. With
 * `join`, the threads join only where they pay. Liveness and coverage keep every state in the
 * store, partial-order reduction and --spill work on it: those searches stay on this thread.
 */
export async function checkParallel(
  model: Model,
  ref: ModelRef,
  threads: number,
  options: CheckOptions = {},
  join?: Join,
): Promise<CheckResult> {
  const cpuAtStart = threadCpuSeconds() ?? NaN;
  /** the CPU seconds of the workers, asked before they leave */
  let workerCpu: number[] = [];
  const search = new Search(model, options);
  const partitioned =
    threads > 1 && search.store.keep === 'frontier' && !options.por && !options.spill;
  // Started now, the workers load the model while this thread expands the first, narrow levels;
  // with `join`, once the search has run that long (and a core is idle) at a wide level.
  let pool = partitioned && !join ? new Pool(ref, threads - 1) : undefined;
  // Joined lazily, the threads stay only while they pay: a wide level on threads (after the
  // first, which pays for starting them) must go faster than this thread alone went.
  const alone = { states: 0, ms: 0 };
  let joinable = partitioned && join !== undefined;
  let waitedAt = -1;
  let askedAt = -1;
  try {
    // Alone, then on partitions (for the rest of the run, unless the threads do not pay: then
    // alone again).
    for (;;) {
      let parts: Part[] | undefined;
      while (search.nextState()) {
        const [from, to] = search.levelRange;
        const wide = to - from >= PARALLEL_LEVEL;
        // Asked once a level: whether the threads should join now.
        if (joinable && !pool && wide && alone.states > 0 && askedAt !== search.depth) {
          askedAt = search.depth;
          if (cpuSeconds() >= join!.afterCpuSeconds && (!join!.onlyIfIdle || coreIdle()))
            pool = new Pool(ref, threads - 1);
        }
        // Once a level, while the workers start, let their "ready" in; threads asked for (no
        // `join`) are waited for at the first wide level, so that wide levels are theirs.
        if (pool && !pool.ready && waitedAt !== search.depth) {
          waitedAt = search.depth;
          await (wide && !join ? pool.started : yieldToWorkers());
        }
        // The partitions' tables and this one's, for a moment.
        if (
          wide &&
          pool?.ready &&
          from === search.levelStart &&
          search.memoryLeft(search.visited.bytes * 3)
        ) {
          parts = search.partition(threads);
          break;
        }
        const started = performance.now();
        search.expandNext();
        if (wide) {
          alone.ms += performance.now() - started;
          alone.states += search.head - from;
        }
      }
      if (!parts) break;
      const levels = new Levels(search, new Partitioner(model, ref.deadlock), parts, options);
      let levelsOnThreads = 0;
      let more: boolean;
      do {
        const onThreads = pool !== undefined && levels.size >= PARALLEL_LEVEL;
        const started = performance.now();
        const size = levels.size;
        more = await levels.next(onThreads ? pool : undefined);
        // Joined lazily, the threads stay only while they pay: a wide level on threads (after
        // the first, which pays for starting them) must go faster than this thread alone went.
        if (
          more &&
          onThreads &&
          joinable &&
          ++levelsOnThreads > 1 &&
          size / (performance.now() - started) < alone.states / alone.ms
        ) {
          workerCpu = await pool!.cpu();
          await pool!.close();
          pool = undefined;
          joinable = false;
          search.unpartition(levels.parts);
          break;
        }
      } while (more);
      if (!more) break;
    }
    if (pool && !search.violation) workerCpu = await pool.cpu();
    const result = search.finish();
    return workerCpu.length > 0
      ? { ...result, threadCpuSeconds: [(threadCpuSeconds() ?? NaN) - cpuAtStart, ...workerCpu] }
      : result;
  } finally {
    search.close();
    await pool?.close();
  }
}

/** The levels of a partitioned search, one at a time. */
class Levels {
  constructor(
    private readonly search: Search,
    private readonly local: Partitioner,
    /** the partitions at the current level's start */
    public parts: Part[],
    private readonly options: CheckOptions,
  ) {}

  /** The states of the current level. */
  get size(): number {
    return this.parts.reduce((n, p) => n + p.count, 0);
  }

  /** Searches the current level, on `pool`'s threads too if given (partition i + 1 on worker
   * i, the first here): false when the search is over. */
  async next(pool: Pool | undefined): Promise<boolean> {
    const { search, parts } = this;
    const size = this.size;
    const levelStart = search.store.count - size;
    search.head = levelStart;
    if (size === 0) {
      search.head = search.store.count;
      return false;
    }
    if (search.depth >= search.maxDepth) return search.stop('max-depth');
    search.partsBytes = parts.reduce((n, p) => n + partBytes(p), 0);
    if (!search.memoryLeft()) return search.stop('max-memory');
    search.progress();
    const symmetry = this.options.symmetry === true;
    // What each partition's outboxes, then its table and new rows, may grow to: an even share of
    // what is left beside the search's own tables and their reserve.
    const max = (this.options.maxMemory ?? Infinity) - search.growthReserve();
    const budget = (max - search.tableBytes()) / parts.length;
    const expanded = await this.each(pool, (i): ExpandJob => ({
      kind: 'expand',
      index: i,
      part: parts[i]!,
      parts: parts.length,
      symmetry,
      budget,
    }));
    search.partsBytes += expanded.reduce((n, e) => n + outBytes(e.out), 0);
    const tableBytes = parts.reduce((n, p) => n + p.visited.byteLength, 0);
    const left = max - search.tableBytes() + tableBytes;
    const admitted = await this.each(pool, (o): AdmitJob => ({
      kind: 'admit',
      part: parts[o]!,
      inboxes: expanded.map((e) => ({ records: e.out[o]!, count: e.counts[o]! })),
      budget: left / parts.length,
    }));
    search.partsBytes += admitted.reduce((n, a) => n + a.bytes, 0) - tableBytes;
    search.memoryLeft();
    this.parts = this.settle(levelStart, expanded, admitted);
    search.partsBytes = this.parts.reduce((n, p) => n + partBytes(p), 0);
    search.partsVisitedBytes = this.parts.reduce((n, p) => n + p.visited.byteLength, 0);
    if (search.violation || search.stoppedBy) return false;
    search.depth++;
    return true;
  }

  /** Runs job(i) for every partition i: on the workers (partition i + 1 on worker i) while this
   * thread does the first, or all here. */
  private async each<J extends ExpandJob | AdmitJob>(
    pool: Pool | undefined,
    job: (i: number) => J,
  ): Promise<(J extends ExpandJob ? Expanded : Admitted)[]> {
    type R = J extends ExpandJob ? Expanded : Admitted;
    const run = (j: J) => this.local[j.kind](j as never) as R;
    const n = this.parts.length;
    if (!pool) return Array.from({ length: n }, (_, i) => run(job(i)));
    const remote = Array.from({ length: n - 1 }, (_, i) => pool.run(i, job(i + 1)) as Promise<R>);
    // A rejected job must not go unheard while this thread does its own.
    for (const r of remote) r.catch(() => {});
    const mine = run(job(0));
    return [mine, ...(await Promise.all(remote))];
  }

  /**
   * Orders the partitions' new states by key (the sequential order) and gives them their ids
   * and parents, up to the first place where the sequential search would have stopped: the
   * least of a violation (that state included), a deadlock (after the states before it), a
   * partition out of memory, and --max-states. Counts the transitions up to there, records
   * the findings in id order. Returns the partitions of the next level.
   */
  private settle(levelStart: number, expanded: Expanded[], admitted: Admitted[]): Part[] {
    const { search, parts } = this;
    const newBase = search.store.count;
    // The least stop: its key, and which.
    let cutP = Infinity;
    let cutK = Infinity;
    let cause = 'none' as 'none' | 'violation' | 'memory' | 'deadlock';
    let violator = -1;
    const less = (p: number, k: number) => p < cutP || (p === cutP && k < cutK);
    for (let o = 0; o < admitted.length; o++) {
      const a = admitted[o]!;
      const last = a.part.count - 1;
      if (a.stop === STOP_VIOLATION && less(a.parent[last]!, a.ordinal[last]!)) {
        [cutP, cutK] = [a.parent[last]!, a.ordinal[last]!];
        cause = 'violation';
        violator = o;
      } else if (a.stop === STOP_MEMORY && less(a.cut[0], a.cut[1])) {
        [cutP, cutK] = a.cut;
        cause = 'memory';
      }
    }
    for (const e of expanded)
      if (e.deadlock >= 0 && less(e.deadlock, Infinity)) {
        [cutP, cutK] = [e.deadlock, Infinity];
        cause = 'deadlock';
      } else if (e.full >= 0 && less(e.full, 0)) {
        [cutP, cutK] = [e.full, 0];
        cause = 'memory';
      }
    // Past the stop: a violating state is the last one in, a memory stop's is not.
    const beyond = (p: number, k: number) =>
      p > cutP || (p === cutP && (cause === 'violation' ? k > cutK : k >= cutK));
    const taken = admitted.map(() => 0);
    let rejected: [number, number] | undefined;
    for (;;) {
      let o = -1;
      let bp = 0;
      let bk = 0;
      for (let q = 0; q < admitted.length; q++) {
        const a = admitted[q]!;
        const i = taken[q]!;
        if (i >= a.part.count) continue;
        if (o < 0 || a.parent[i]! < bp || (a.parent[i] === bp && a.ordinal[i]! < bk)) {
          o = q;
          bp = a.parent[i]!;
          bk = a.ordinal[i]!;
        }
      }
      if (o < 0 || beyond(bp, bk)) break;
      const id = search.addFound(levelStart + bp, bk);
      if (id < 0) {
        rejected = [bp, bk];
        break;
      }
      admitted[o]!.part.pos[taken[o]!++] = id - newBase;
    }
    // The transitions up to the stop (a stopping state's own included, as one thread counts).
    const before = (p: number, k: number) =>
      parts.reduce((n, part, q) => {
        const j = lowerBound(part.pos, part.count, p);
        return n + (j > 0 ? expanded[q]!.ends[j - 1]! : 0);
      }, k);
    const v = admitted[violator];
    if (rejected) search.transitions += before(rejected[0], rejected[1] + 1);
    else if (cause === 'violation' && taken[violator] === v!.part.count) {
      search.transitions += before(cutP, cutK + 1);
      search.broken(newBase + v!.part.pos[v!.part.count - 1]!, v!.broken);
    } else if (cause === 'deadlock') {
      search.transitions += before(cutP, 0);
      search.deadlocked(levelStart + cutP);
    } else if (cause === 'memory') {
      search.transitions += before(cutP, cutK);
      search.stop('max-memory');
    } else
      search.transitions += expanded.reduce(
        (n, e, q) => n + (parts[q]!.count > 0 ? e.ends[parts[q]!.count - 1]! : 0),
        0,
      );
    // The first state of the level failing each finding, in id order.
    const failing: [number, number][] = [];
    admitted.forEach((a, o) =>
      a.findings.forEach((i, f) => {
        if (i >= 0 && i < taken[o]!) failing.push([newBase + a.part.pos[i]!, f]);
      }),
    );
    failing.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const [id, f] of failing) search.failing(f, id);
    return admitted.map((a, o) => ({ ...a.part, count: taken[o]! }));
  }
}

/** The bytes a partition holds: its table, rows and positions. */
const partBytes = (p: Part) =>
  p.visited.byteLength + p.rows.reduce((n, r) => n + r.byteLength, 0) + p.pos.byteLength;

/** The first index in sorted a[0, n) whose value is at least x. */
function lowerBound(a: Int32Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a worker answers. */
type Answer = Expanded | Admitted | { cpu: number };
/** An answer a worker owes. */
interface Owed {
  resolve: (r: Answer) => void;
  reject: (err: unknown) => void;
}

/** Lets the event loop deliver the workers' messages. */
const yieldToWorkers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The worker threads, each doing the jobs of one partition. */
class Pool {
  private readonly workers: Worker[];
  /** the workers that have built their model */
  private readyCount = 0;
  /** settled once every worker has built its model */
  readonly started: Promise<void>;
  private onStarted!: () => void;
  /** per worker, the answers it owes, oldest first */
  private readonly waiting = new Map<Worker, Owed[]>();

  constructor(ref: ModelRef, size: number) {
    this.started = new Promise((resolve) => (this.onStarted = resolve));
    this.workers = Array.from(
      { length: size },
      () => new Worker(new URL('./worker.js', import.meta.url), { workerData: ref }),
    );
    for (const w of this.workers) {
      const owed: Owed[] = [];
      this.waiting.set(w, owed);
      w.on('message', (m: Answer | { error: string } | { ready: true }) => {
        if ('ready' in m) {
          if (++this.readyCount === size) this.onStarted();
          return;
        }
        const next = owed.shift()!;
        if ('error' in m) next.reject(new ModelError(m.error));
        else next.resolve(m);
      });
      w.on('error', (err: Error) => {
        for (const next of owed.splice(0)) next.reject(new ModelError(`worker: ${err.message}`));
      });
    }
  }

  /** Whether every worker has built its model (until then, levels are expanded here). */
  get ready(): boolean {
    return this.readyCount === this.workers.length;
  }

  /** Worker i's answer to `message`; a worker answers in the order it was sent messages. */
  run(i: number, message: ExpandJob | AdmitJob | { cpu: true }): Promise<Answer> {
    const w = this.workers[i]!;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.get(w)!.push({ resolve, reject });
      w.postMessage(message);
    });
  }

  /** Each worker's CPU seconds so far (thread-cpu.ts). */
  cpu(): Promise<number[]> {
    return Promise.all(
      this.workers.map((_, i) =>
        this.run(i, { cpu: true }).then((r) => (r as { cpu: number }).cpu),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
