/**
 * A worker thread of the parallel search: it builds the same model as the main thread (from a
 * module URL, an export and its argument), and for each chunk of a BFS level it expands the
 * states, fingerprints their successors and checks the safety invariants, writing records the
 * main thread merges in order (parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fingerprint, fp } from './fingerprint.js';
import { contains, VisitedSet } from './visited.js';
import type { Model } from './model.js';
import { SuccessorBuffer } from './successors.js';
import { actionError, message } from './errors.js';
import { RECORD_HEADER, DEADLOCK, type ChunkJob, type ModelRef } from './parallel-protocol.js';
import { strideOf } from './store.js';
import { ActionGuards } from './guards.js';

const ref = workerData as ModelRef;
const model: Model = await (await import(ref.url))[ref.exportName](ref.arg);
const stride = strideOf(model.stateSize);
const words = stride >> 2;
const buf = new SuccessorBuffer(model.stateSize, stride);
const safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
const guards = new ActionGuards(model.actions);
const candidates = new Int32Array(guards.words);
const deadlock = ref.deadlock ?? model.deadlock ?? true;

/** The records of the chunk being expanded; each chunk's buffer is handed over (transferred)
 * to the main thread, which may still be merging it while this thread expands the next. */
let out = new Int32Array(0);
/** words the last chunk's records needed (a transferred buffer reads as empty) */
let capacity = 1 << 16;

parentPort!.on('message', (job: ChunkJob) => {
  try {
    out = new Int32Array(capacity);
    const { count, skipped } = expand(job);
    parentPort!.postMessage({ count, skipped, buffer: out.buffer }, [out.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ error: message(err) });
  }
});

/** Records: [parent, action, fp hi, fp lo, violated invariant + 1, ...state words]. */
function expand(job: ChunkJob): { count: number; skipped: number } {
  const arena = new Int32Array(job.arena);
  const recordWords = RECORD_HEADER + words;
  let count = 0;
  let skipped = 0;
  const seen = new VisitedSet(Math.min(1 << 22, (job.to - job.from) * 4), { ids: false });
  const curWords = new Int32Array(words);
  const view = new Uint8Array(curWords.buffer, 0, model.stateSize);
  const reserve = () => {
    if ((count + 1) * recordWords <= out.length) return;
    const bigger = new Int32Array(out.length * 2);
    bigger.set(out);
    out = bigger;
    capacity = out.length;
  };
  for (let id = job.from; id < job.to; id++) {
    for (let w = 0; w < words; w++) curWords[w] = arena[id * words + w]!;
    if (model.constraint && !model.constraint(view)) continue;
    let successors = 0;
    guards.candidates(view, candidates);
    for (let a = 0; a < model.actions.length; a++) {
      if (!(candidates[a >> 5]! & (1 << (a & 31)))) continue;
      buf.reset(curWords);
      try {
        model.actions[a]!.next(view, buf);
      } catch (err) {
        throw actionError(model.actions[a]!, view, err);
      }
      successors += buf.count;
      for (let k = 0; k < buf.count; k++) {
        if (job.symmetry) model.canonical!(buf.view(k));
        fingerprint(buf.words, k * words, words);
        // Known before this level began, or already sent from this chunk: the main thread would
        // only count the transition.
        if (!job.all && (contains(job.visited, job.visitedSlot, fp[0]!, fp[1]!) || seen.findOrInsert(fp[0]!, fp[1]!, 0) >= 0)) {
          skipped++;
          continue;
        }
        reserve();
        const at = count * recordWords;
        out[at] = id;
        out[at + 1] = a;
        out[at + 2] = fp[0]! | 0;
        out[at + 3] = fp[1]! | 0;
        const s = buf.view(k);
        let bad = 0;
        for (let i = 0; i < safety.length && bad === 0; i++) if (!safety[i]!.check(s)) bad = i + 1;
        out[at + 4] = bad;
        for (let w = 0; w < words; w++) out[at + RECORD_HEADER + w] = buf.words[k * words + w]!;
        count++;
      }
    }
    if (successors === 0 && deadlock && !model.isFinal?.(view)) {
      reserve();
      const at = count * recordWords;
      out[at] = id;
      out[at + 1] = DEADLOCK;
      for (let w = 0; w < words; w++) out[at + RECORD_HEADER + w] = curWords[w]!;
      count++;
    }
  }
  return { count, skipped };
}
