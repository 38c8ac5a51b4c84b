import { Worker } from 'node:worker_threads';
import type { CheckOptions, CheckResult } from './check.js';
import { ModelError } from './errors.js';
import type { Model } from './model.js';
import type { ChunkJob, ModelRef } from './parallel-protocol.js';
import { Search } from './search.js';
import type { VisitedTable } from './visited.js';

/** Levels smaller than this are expanded here: starting threads would cost more than they save. */
const PARALLEL_LEVEL = 2048;

/**
 * Breadth-first search with worker threads: each large BFS level is cut into contiguous chunks,
 * one per worker; the workers expand them (successors, fingerprints, safety invariants) reading
 * the states from a shared arena, and this thread merges their records in chunk order into the
 * visited set and the store. Merging in order gives the same ids as one thread, so the counts
 * are the same and every counterexample is still a shortest one. `ref` tells each worker how to
 * build the same model.
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
      const results = await pool.run(search.store.arena.buffer as SharedArrayBuffer, from, to, search.visited.current, search.edges !== undefined, options.symmetry === true);
      for (const r of results) {
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

interface ChunkResult {
  readonly count: number;
  /** successors the worker found already visited: transitions only */
  readonly skipped: number;
  readonly buffer: SharedArrayBuffer;
}

/** The worker threads, each answering one chunk at a time. */
class Pool {
  private readonly workers: Worker[];

  constructor(ref: ModelRef, size: number) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: ref }));
  }

  /** Expands [from, to) in `size` contiguous chunks; results in chunk order. */
  run(arena: SharedArrayBuffer, from: number, to: number, visited: VisitedTable, all: boolean, symmetry: boolean): Promise<ChunkResult[]> {
    const n = this.workers.length;
    const per = Math.ceil((to - from) / n);
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<ChunkResult>((resolve, reject) => {
            const job: ChunkJob = { arena, from: from + i * per, to: Math.min(to, from + (i + 1) * per), visited, all, symmetry };
            const onError = (err: Error) => reject(new ModelError(`worker: ${err.message}`));
            w.once('error', onError);
            w.once('message', (m: ChunkResult | { error: string }) => {
              w.off('error', onError);
              if ('error' in m) reject(new ModelError(m.error));
              else resolve(m);
            });
            w.postMessage(job);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
