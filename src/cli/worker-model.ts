import type { Model } from '../engine/index.js';
import { resolveTarget } from './target.js';
import type { TraceTarget } from './trace-doc.js';

/** How a worker thread of the parallel search builds the model the command line named. */
export async function buildModel(target: TraceTarget): Promise<Model> {
  return (await resolveTarget(target)).model;
}
