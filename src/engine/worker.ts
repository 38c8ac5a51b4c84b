/**
 * A worker thread of the parallel search: it builds the same model as the main thread (from a
 * module URL, an export and its argument), and for each chunk of a BFS level it expands the
 * states, fingerprints their successors, claims the new ones in the shared visited table (a
 * safety search) and checks the safety invariants, writing records the main thread merges in
 * order (parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fingerprint, fp } from './fingerprint.js';
import { claim, CLAIM_KNOWN, CLAIM_NEW } from './visited.js';
import type { Model } from './model.js';
import { SuccessorBuffer } from './successors.js';
import { actionError, message } from './errors.js';
import { RECORD_HEADER, DEADLOCK, type ChunkJob, type ChunkResult, type ModelRef } from './parallel-protocol.js';
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
    const result = expand(job);
    // The next chunk's buffer: about what this one needed (zeroing a large one costs).
    capacity = Math.max(1 << 12, Math.ceil(result.count * (RECORD_HEADER + words) * 1.25));
    parentPort!.postMessage({ ...result, buffer: out.buffer }, [out.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ error: message(err) });
  }
});

/** Records: [parent, action, fp hi, fp lo, violated invariant + 1, skipped before, ...state]. */
function expand(job: ChunkJob): Omit<ChunkResult, 'buffer'> {
  const arena = new Int32Array(job.arena);
  const recordWords = RECORD_HEADER + words;
  // The job's fields as locals: a message's object is slow to read in a hot loop.
  const claiming = job.mode === 'claim';
  const visited = job.visited!;
  const chunk = job.chunk!;
  const inserts = job.inserts!;
  const limit = job.limit!;
  const symmetry = job.symmetry;
  const actions = model.actions;
  let count = 0;
  let skipped = 0;
  let branching = 0;
  const taken: number[] = [];
  const result = (stoppedAt: number) => ({ count, skipped, stoppedAt, branching, taken: Int32Array.from(taken) });
  const curWords = new Int32Array(words);
  const view = new Uint8Array(curWords.buffer, 0, model.stateSize);
  const reserve = () => {
    if ((count + 1) * recordWords <= out.length) return;
    const bigger = new Int32Array(out.length * 2);
    bigger.set(out);
    out = bigger;
  };
  for (let id = job.from; id < job.to; id++) {
    if (claiming && Atomics.load(inserts, 0) >= limit) return result(id);
    for (let w = 0; w < words; w++) curWords[w] = arena[id * words + w]!;
    if (model.constraint && !model.constraint(view)) continue;
    let successors = 0;
    let claimed = 0;
    guards.candidates(view, candidates);
    for (let a = 0; a < actions.length; a++) {
      if (!(candidates[a >> 5]! & (1 << (a & 31)))) continue;
      buf.reset(curWords);
      try {
        actions[a]!.next(view, buf);
      } catch (err) {
        throw actionError(actions[a]!, view, err);
      }
      successors += buf.count;
      for (let k = 0; k < buf.count; k++) {
        if (symmetry) model.canonical!(buf.view(k));
        fingerprint(buf.words, k * words, words);
        if (claiming) {
          const c = claim(visited, fp[0]!, fp[1]!, chunk);
          if (c === CLAIM_KNOWN) {
            skipped++;
            continue;
          }
          if (c === CLAIM_NEW) claimed++;
          else {
            taken.push(fp[0]! | 0, fp[1]! | 0);
          }
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
        out[at + 5] = skipped;
        skipped = 0;
        for (let w = 0; w < words; w++) out[at + RECORD_HEADER + w] = buf.words[k * words + w]!;
        count++;
      }
    }
    if (claimed > 0) Atomics.add(inserts, 0, claimed);
    if (successors > branching) branching = successors;
    if (successors === 0 && deadlock && !model.isFinal?.(view)) {
      reserve();
      const at = count * recordWords;
      out[at] = id;
      out[at + 1] = DEADLOCK;
      out[at + 5] = skipped;
      skipped = 0;
      for (let w = 0; w < words; w++) out[at + RECORD_HEADER + w] = curWords[w]!;
      count++;
    }
  }
  return result(job.to);
}
