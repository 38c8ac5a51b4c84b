/**
 * A worker thread of the parallel search: it builds the same model as the main thread (from a
 * module URL, an export and its argument) and expands the chunks of BFS levels it is sent
 * (chunk.ts), handing each chunk's records over to the main thread, which may still be merging
 * them while this thread expands the next.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkExpander } from './chunk.js';
import { message } from './errors.js';
import { threadCpuSeconds } from './thread-cpu.js';
import type { Model } from './model.js';
import type { ChunkJob, ModelRef } from './parallel-protocol.js';

const ref = workerData as ModelRef;
const model: Model = await (await import(ref.url))[ref.exportName](ref.arg);
const expander = new ChunkExpander(model, ref.deadlock);
// The main thread sends chunks only to a worker that is ready, so none waits on a slow start.
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (job: ChunkJob | { cpu: true }) => {
  if ('cpu' in job) {
    parentPort!.postMessage({ cpu: threadCpuSeconds() ?? NaN });
    return;
  }
  try {
    const result = expander.expand(job);
    parentPort!.postMessage(result, [result.buffer]);
  } catch (err) {
    parentPort!.postMessage({ error: message(err) });
  }
});
