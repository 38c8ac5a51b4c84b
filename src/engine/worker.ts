/**
 * A worker thread of the parallel search: it builds the same model as the main thread (from a
 * module URL, an export and its argument) and does the jobs of its partition of each level
 * (partition.ts) that it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { message } from './errors.js';
import type { Model } from './model.js';
import type { AdmitJob, ExpandJob, ModelRef } from './parallel-protocol.js';
import { Partitioner } from './partition.js';
import { threadCpuSeconds } from './thread-cpu.js';

const ref = workerData as ModelRef;
const model: Model = await (await import(ref.url))[ref.exportName](ref.arg);
const partitioner = new Partitioner(model, ref.deadlock);
// The main thread sends jobs only to a worker that is ready, so none waits on a slow start.
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (job: ExpandJob | AdmitJob | { cpu: true }) => {
  if ('cpu' in job) {
    parentPort!.postMessage({ cpu: threadCpuSeconds() ?? NaN });
    return;
  }
  try {
    parentPort!.postMessage(
      job.kind === 'expand' ? partitioner.expand(job) : partitioner.admit(job),
    );
  } catch (err) {
    parentPort!.postMessage({ error: message(err) });
  }
});
