import { Worker } from 'node:worker_threads';
import type { CheckOptions, CheckResult } from './check.js';
import { ModelError } from './errors.js';
import type { Model } from './model.js';
import type { ChunkJob, ModelRef } from './parallel-protocol.js';
import { Search } from './search.js';

/** Levels smaller than this are expanded here: starting threads would cost more than they save. */
const PARALLEL_LEVEL = 2048;
/** States per chunk: small enough that merging one chunk overlaps the expansion of the next. */
const CHUNK = 1024;

/**
 * Breadth-first search with worker threads: each large BFS level is cut into chunks that the
 * workers take in turn and expand (successors, fingerprints, safety invariants), reading the
 * states from a shared arena, while this thread merges their records, chunk after chunk in
 * order, into the visited set and the store. Merging in order gives the same ids as one thread,
 * so the counts are the same and every counterexample is still a shortest one. `ref` tells each
 * worker how to build the same model.
 */
export async function checkParallel(model: Model, ref: ModelRef, workers: number, options: CheckOptions = {}): Promise<CheckResult> {
  const search = new Search(model, options, true);
  let pool: Pool | undefined;
  try {
    while (search.nextState()) {
      const [from, to] = search.levelRange;
      if (to - from < PARALLEL_LEVEL || workers < 2) {
        // Expand one state here, as the sequential search does.
        search.expand(search.head++);
        continue;
      }
      pool ??= new Pool(ref, workers);
      const job = (start: number, end: number): ChunkJob => ({
        // the arena and visited table as they are now: both are replaced when they grow
        arena: search.store.arena.buffer as SharedArrayBuffer,
        from: start,
        to: end,
        visited: search.visited.current,
        visitedSlot: search.visited.slot,
        all: search.edges !== undefined,
        symmetry: options.symmetry === true,
      });
      for await (const r of pool.level(from, to, job)) {
        search.merge(new Int32Array(r.buffer), r.count);
        search.transitions += r.skipped;
        if (search.violation) break;
      }
      search.head = to;
      if (!search.memoryLeft()) search.stop('max-memory');
    }
    return search.finish();
  } finally {
    await pool?.close();
  }
}

/** A promise with its resolve and reject (Promise.withResolvers is Node 22+). */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface ChunkResult {
  readonly count: number;
  /** successors the worker found already visited: transitions only */
  readonly skipped: number;
  readonly buffer: ArrayBuffer;
}

/** The worker threads, each expanding one chunk at a time and taking the next when done. */
class Pool {
  private readonly workers: Worker[];

  constructor(ref: ModelRef, size: number) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: ref }));
  }

  /** Expands states [from, to) in chunks; yields their results in chunk order as they come. */
  async *level(from: number, to: number, job: (start: number, end: number) => ChunkJob): AsyncGenerator<ChunkResult> {
    const chunks = Math.ceil((to - from) / CHUNK);
    const results = Array.from({ length: chunks }, () => deferred<ChunkResult>());
    // A chunk no one waits for any more (the merge stopped at a violation) must not reject unheard.
    for (const r of results) r.promise.catch(() => {});
    let taken = 0;
    const feed = (w: Worker) => {
      if (taken === chunks) return;
      const i = taken++;
      const start = from + i * CHUNK;
      this.send(w, job(start, Math.min(to, start + CHUNK))).then(
        (r) => {
          results[i]!.resolve(r);
          feed(w);
        },
        (err: unknown) => results[i]!.reject(err),
      );
    };
    this.workers.forEach(feed);
    for (const r of results) yield await r.promise;
  }

  private send(w: Worker, job: ChunkJob): Promise<ChunkResult> {
    return new Promise<ChunkResult>((resolve, reject) => {
      const onError = (err: Error) => reject(new ModelError(`worker: ${err.message}`));
      w.once('error', onError);
      w.once('message', (m: ChunkResult | { error: string }) => {
        w.off('error', onError);
        if ('error' in m) reject(new ModelError(m.error));
        else resolve(m);
      });
      w.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
