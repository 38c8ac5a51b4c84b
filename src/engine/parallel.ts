import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CheckOptions, CheckResult } from './options.js';
import { ModelError } from './errors.js';
import type { Model } from './model.js';
import type { ChunkJob, ChunkResult, ModelRef } from './parallel-protocol.js';
import { ChunkExpander } from './chunk.js';
import { Search } from './search.js';
import { threadCpuSeconds } from './thread-cpu.js';
import { SETTLED, VisitedSet } from './visited.js';

/** Levels smaller than this are expanded here: starting threads would cost more than they save. */
const PARALLEL_LEVEL = 2048;
/** States per chunk: small enough to share a level out evenly and to merge one chunk while the
 * workers expand the next. */
const CHUNK = 1024;
/** Chunks sent to a worker ahead of the one it is expanding, so it never waits for this thread
 * (busy merging) to send the next. */
const AHEAD = 2;
/** The load the shared visited table may reach within a level (it is grown between levels). */
const MAX_LOAD = 0.75;

/** For threads that join only where they pay, the CPU seconds a search runs on this thread alone
 * before they start (if a core is idle then): starting them (loading the model, compiling the chunk code) and the merge
 * cost more than they save on shorter runs, on the 2-core machine measured (see
 * docs/performance.md). */
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
 * only take turns with other processes on the same cores cannot pay for their merge. */
const coreIdle = () => loadavg()[0]! <= availableParallelism() - 1;

/** The default number of threads that expand states: one per core. */
export const defaultWorkers = (): number => availableParallelism();

/**
 * Breadth-first search with `threads` threads: this one and threads - 1 workers. Each large BFS
 * level is cut into chunks that the threads take in turn and expand (chunk.ts: successors,
 * fingerprints, safety invariants), reading the states from the shared store; this thread
 * merges the records, chunk after chunk in order, into the store, and expands chunks itself
 * while the next one to merge is not in. In a safety search the threads also insert the new
 * states into the shared visited table themselves, each state owned by the earliest chunk that
 * finds it, so this thread only appends what each chunk owns; with liveness, the records carry
 * every successor and this thread looks each up, as the edges need the ids. Either way the ids
 * are those of the sequential search, so the counts are the same and every counterexample is
 * the same shortest one. `ref` tells each worker how to build the same model. With `join`, the
 * threads join only where they pay.
 */
export async function checkParallel(
  model: Model,
  ref: ModelRef,
  threads: number,
  options: CheckOptions = {},
  join?: Join,
): Promise<CheckResult> {
  const lazy = join !== undefined;
  const cpuAtStart = threadCpuSeconds() ?? NaN;
  /** the CPU seconds of the workers, asked before they leave */
  let workerCpu: number[] = [];
  const search = new Search(model, options, !lazy);
  const local = new ChunkExpander(model, ref.deadlock);
  const claiming = search.edges === undefined;
  // Started now, the workers load the model while this thread expands the first, narrow levels;
  // with `join`, once the search has run that long (and a core is idle) at a wide level.
  let pool = threads > 1 && !lazy ? new Pool(ref, threads - 1, local) : undefined;
  // Joined lazily, the threads stay only while they pay: a wide level on threads (after the
  // first, which pays for starting them) must go faster than this thread alone went.
  const alone = { states: 0, ms: 0 };
  let joinable = lazy && threads > 1;
  let levelsOnThreads = 0;
  let waitedAt = -1;
  let askedAt = -1;
  let chunkNumber = SETTLED;
  try {
    while (search.nextState()) {
      const [from, to] = search.levelRange;
      const wide = to - from >= PARALLEL_LEVEL;
      // Asked once a level: whether the threads should join now.
      if (joinable && !pool && wide && alone.states > 0 && askedAt !== search.depth) {
        askedAt = search.depth;
        if (
          cpuSeconds() >= join!.afterCpuSeconds &&
          (!join!.onlyIfIdle || coreIdle()) &&
          search.share()
        )
          pool = new Pool(ref, threads - 1, local);
      }
      // Once a level, while the workers start, let their "ready" in.
      if (pool && !pool.ready && waitedAt !== search.depth) {
        waitedAt = search.depth;
        await yieldToWorkers();
      }
      if (!wide || !pool?.ready) {
        // Expand here, as the sequential search does.
        const started = performance.now();
        search.expandNext();
        if (wide) {
          alone.ms += performance.now() - started;
          alone.states += search.head - from;
        }
        continue;
      }
      const levelStarted = performance.now();
      // Room for the level's new states; if it was not enough, the workers stop early and the
      // rest of their chunks runs again once the table has grown.
      if (
        claiming &&
        !search.reserveVisited(Math.max(2, Math.min(search.branching, 4)) * (to - from))
      )
        break;
      let ranges: [number, number][] = [[from, to]];
      while (ranges.length > 0 && !search.violation && !search.stoppedBy) {
        const inserts = new Int32Array(new SharedArrayBuffer(4));
        const slots = search.visited.current.length / search.visited.slot;
        const limit = Math.floor(slots * MAX_LOAD) - search.visited.size;
        const job = (start: number, end: number): ChunkJob =>
          claiming
            ? {
                ...search.store.buffers(start, end),
                from: start,
                to: end,
                mode: 'claim',
                visited: search.visited.current,
                chunk: ++chunkNumber,
                inserts,
                limit,
                symmetry: options.symmetry === true,
              }
            : {
                ...search.store.buffers(start, end),
                from: start,
                to: end,
                mode: 'all',
                symmetry: options.symmetry === true,
              };
        const unfinished: [number, number][] = [];
        // what chunks merged so far took over from later ones (claims only move to earlier chunks)
        const taken = new VisitedSet(1 << 10);
        for await (const { job: j, result: r } of pool.level(ranges, job)) {
          search.merge(new Int32Array(r.buffer), r.count, claiming ? taken : undefined);
          pool.recycle(r.buffer);
          for (let i = 0; i < r.taken.length; i += 2)
            taken.findOrInsert(r.taken[i]! >>> 0, r.taken[i + 1]! >>> 0, 0);
          if (search.violation || search.stoppedBy) break;
          // The tables grow as chunks merge: stop at the bound between chunks, not a level late.
          if (!search.memoryLeft()) {
            search.stop('max-memory');
            break;
          }
          search.transitions += r.skipped;
          search.branching = Math.max(search.branching, r.branching);
          if (r.stoppedAt < j.to) unfinished.push([r.stoppedAt, j.to]);
        }
        search.visited.inserted(Atomics.load(inserts, 0));
        if (unfinished.length > 0) search.reserveVisited(search.visited.size);
        ranges = unfinished;
      }
      search.head = to;
      if (
        joinable &&
        ++levelsOnThreads > 1 &&
        (to - from) / (performance.now() - levelStarted) < alone.states / alone.ms
      ) {
        workerCpu = await pool.cpu();
        await pool.close();
        pool = undefined;
        joinable = false;
      }
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

/** What a worker answers: a chunk's records, or its CPU seconds. */
type Answer = ChunkResult | { cpu: number };
/** An answer a worker owes. */
interface Owed {
  resolve: (r: Answer) => void;
  reject: (err: unknown) => void;
}

/** A promise with its resolve and reject (Promise.withResolvers is Node 22+), and whether it
 * is settled. */
function deferred<T>() {
  const d = { settled: false } as {
    settled: boolean;
    promise: Promise<T>;
    resolve: (value: T) => void;
    reject: (reason: unknown) => void;
  };
  d.promise = new Promise<T>((res, rej) => {
    d.resolve = (value) => {
      d.settled = true;
      res(value);
    };
    d.reject = (reason) => {
      d.settled = true;
      rej(reason);
    };
  });
  return d;
}

/** Lets the event loop deliver the workers' messages. */
const yieldToWorkers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The worker threads, each expanding one chunk at a time and taking the next when done, and
 * this thread's own expander. */
class Pool {
  private readonly workers: Worker[];

  /** buffers of merged chunks, to hand out again */
  private readonly free: ArrayBuffer[] = [];
  /** the workers that have built their model */
  private readyCount = 0;
  /** per worker, the answers it owes, oldest first */
  private readonly waiting = new Map<Worker, Owed[]>();

  constructor(
    ref: ModelRef,
    size: number,
    private readonly local: ChunkExpander,
  ) {
    this.workers = Array.from(
      { length: size },
      () => new Worker(new URL('./worker.js', import.meta.url), { workerData: ref }),
    );
    for (const w of this.workers) {
      const owed: Owed[] = [];
      this.waiting.set(w, owed);
      w.on('message', (m: Answer | { error: string } | { ready: true }) => {
        if ('ready' in m) {
          this.readyCount++;
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

  /** Expands the ranges in chunks, numbered in order; yields each chunk's job and result in
   * that order as they come. */
  async *level(
    ranges: [number, number][],
    job: (start: number, end: number) => ChunkJob,
  ): AsyncGenerator<{ job: ChunkJob; result: ChunkResult }> {
    const jobs = ranges.flatMap(([from, to]) =>
      Array.from({ length: Math.ceil((to - from) / CHUNK) }, (_, i) =>
        job(from + i * CHUNK, Math.min(to, from + (i + 1) * CHUNK)),
      ),
    );
    const results = jobs.map(() => deferred<ChunkResult>());
    // A chunk no one waits for any more (the merge stopped at a violation) must not reject unheard.
    for (const r of results) r.promise.catch(() => {});
    let taken = 0;
    const feed = (w: Worker) => {
      if (taken === jobs.length) return;
      const i = taken++;
      this.send(w, jobs[i]!).then(
        (r) => {
          results[i]!.resolve(r);
          feed(w);
        },
        (err: unknown) => results[i]!.reject(err),
      );
    };
    for (let k = 0; k < AHEAD; k++) this.workers.forEach(feed);
    for (let i = 0; i < jobs.length; i++) {
      // While the next chunk to merge is not in, expand one no worker has taken.
      while (!results[i]!.settled && taken < jobs.length) {
        const k = taken++;
        try {
          results[k]!.resolve(this.local.expand(this.withBuffer(jobs[k]!)));
        } catch (err) {
          results[k]!.reject(err);
        }
        await yieldToWorkers();
      }
      yield { job: jobs[i]!, result: await results[i]!.promise };
    }
  }

  recycle(buffer: ArrayBuffer): void {
    this.free.push(buffer);
  }

  /** A job with a recycled buffer, if there is one. */
  private withBuffer(job: ChunkJob): ChunkJob {
    const buffer = this.free.pop();
    return buffer ? { ...job, buffer } : job;
  }

  /** Sends a job; a worker answers its jobs in the order it was sent them. */
  private send(w: Worker, job: ChunkJob): Promise<ChunkResult> {
    const sent = this.withBuffer(job);
    return new Promise<ChunkResult>((resolve, reject) => {
      this.waiting.get(w)!.push({ resolve: (r) => resolve(r as ChunkResult), reject });
      w.postMessage(sent, sent.buffer ? [sent.buffer] : []);
    });
  }

  /** Each worker's CPU seconds so far (thread-cpu.ts), once it has answered its jobs. */
  cpu(): Promise<number[]> {
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<number>((resolve, reject) => {
            this.waiting
              .get(w)!
              .push({ resolve: (r) => resolve((r as { cpu: number }).cpu), reject });
            w.postMessage({ cpu: true });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
