/**
 * The expansion of one chunk of a BFS level for the parallel search (parallel.ts), the same in
 * a worker thread and in the main thread: each state's successors, their fingerprints, the
 * claim of the new ones in the shared visited table (a safety search), and the safety
 * invariants, written as records the main thread merges in order.
 */
import { actionError, ModelError } from './errors.js';
import { fingerprint, fp } from './fingerprint.js';
import { ActionGuards } from './guards.js';
import type { Invariant, Model } from './model.js';
import { DEADLOCK, REC_ACTION, REC_BROKEN, REC_FINDINGS, REC_HI, REC_LO, REC_PARENT, REC_SKIPPED, RECORD_HEADER, type ChunkJob, type ChunkResult } from './parallel-protocol.js';
import { strideOf } from './store.js';
import { SuccessorBuffer } from './successors.js';
import { claim, CLAIM_KNOWN, CLAIM_NEW } from './visited.js';

export class ChunkExpander {
  private readonly words: number;
  private readonly buf: SuccessorBuffer;
  private readonly safety: Invariant[];
  private readonly findings: Invariant[];
  private readonly guards: ActionGuards;
  private readonly candidates: Int32Array;
  private readonly deadlock: boolean;
  /** words to give the next chunk's records: about what the last one needed (zeroing a large
   * buffer costs, and each chunk's buffer is handed over to the merge) */
  private capacity = 1 << 16;

  constructor(private readonly model: Model, deadlock: boolean | undefined) {
    const stride = strideOf(model.stateSize);
    this.words = stride >> 2;
    this.buf = new SuccessorBuffer(model.stateSize, stride);
    this.safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
    this.findings = (model.invariants ?? []).filter((i) => i.severity === 'finding');
    if (this.findings.length > 31) throw new ModelError(`model has ${this.findings.length} finding invariants; a search on threads supports at most 31`);
    this.guards = new ActionGuards(model.actions);
    this.candidates = new Int32Array(this.guards.words);
    this.deadlock = deadlock ?? model.deadlock ?? true;
  }

  /** Records: a header (parallel-protocol.ts) and the state's words. */
  expand(job: ChunkJob): ChunkResult {
    const { model, buf, safety, findings, guards, candidates, words } = this;
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
    let out = job.buffer && job.buffer.byteLength >= this.capacity * 4 ? new Int32Array(job.buffer) : new Int32Array(this.capacity);
    let count = 0;
    let skipped = 0;
    let branching = 0;
    const taken: number[] = [];
    const curWords = new Int32Array(words);
    const view = new Uint8Array(curWords.buffer, 0, model.stateSize);
    const reserve = () => {
      if ((count + 1) * recordWords <= out.length) return;
      const bigger = new Int32Array(out.length * 2);
      bigger.set(out);
      out = bigger;
    };
    const result = (stoppedAt: number): ChunkResult => {
      this.capacity = Math.max(1 << 12, Math.ceil(count * recordWords * 1.25));
      return { count, skipped, stoppedAt, branching, taken: Int32Array.from(taken), buffer: out.buffer as ArrayBuffer };
    };
    for (let id = job.from; id < job.to; id++) {
      if (claiming && Atomics.load(inserts, 0) >= limit) return result(id);
      for (let w = 0; w < words; w++) curWords[w] = arena[id * words + w]!;
      if (model.constraint && !model.constraint(view)) continue;
      let successors = 0;
      let claimed = 0;
      guards.candidates(view, candidates);
      for (let w = 0; w < candidates.length; w++) {
        for (let bits = candidates[w]!; bits !== 0; bits &= bits - 1) {
          const a = (w << 5) | (31 - Math.clz32(bits & -bits));
          if (a >= actions.length) break;
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
              else taken.push(fp[0]! | 0, fp[1]! | 0);
            }
            reserve();
            const at = count * recordWords;
            out[at + REC_PARENT] = id;
            out[at + REC_ACTION] = a;
            out[at + REC_HI] = fp[0]! | 0;
            out[at + REC_LO] = fp[1]! | 0;
            const s = buf.view(k);
            let bad = 0;
            for (let i = 0; i < safety.length && bad === 0; i++) if (!safety[i]!.check(s)) bad = i + 1;
            out[at + REC_BROKEN] = bad;
            out[at + REC_SKIPPED] = skipped;
            skipped = 0;
            let failing = 0;
            for (let i = 0; i < findings.length; i++) if (!findings[i]!.check(s)) failing |= 1 << i;
            out[at + REC_FINDINGS] = failing;
            out.set(buf.row(k), at + RECORD_HEADER);
            count++;
          }
        }
      }
      if (claimed > 0) Atomics.add(inserts, 0, claimed);
      if (successors > branching) branching = successors;
      if (successors === 0 && this.deadlock && !model.isFinal?.(view)) {
        reserve();
        const at = count * recordWords;
        out.fill(0, at, at + RECORD_HEADER);
        out[at + REC_PARENT] = id;
        out[at + REC_ACTION] = DEADLOCK;
        out[at + REC_SKIPPED] = skipped;
        skipped = 0;
        out.set(curWords, at + RECORD_HEADER);
        count++;
      }
    }
    return result(job.to);
  }
}
