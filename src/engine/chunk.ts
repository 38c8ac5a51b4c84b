/**
 * The expansion of one chunk of a BFS level for the parallel search (parallel.ts), the same in
 * a worker thread and in the main thread: each state's successors and their fingerprints
 * (batch.ts), the claim of the new ones in the shared visited table (a safety search), and the
 * invariants, written as records the main thread merges in order.
 */
import { BATCH, CUT_OFF, DEADLOCKED, SuccessorBatch } from './batch.js';
import { ModelError } from './errors.js';
import type { Invariant, Model } from './model.js';
import {
  DEADLOCK,
  REC_ACTION,
  REC_BROKEN,
  REC_FINDINGS,
  REC_HI,
  REC_LO,
  REC_ORDINAL,
  REC_PARENT,
  REC_SKIPPED,
  RECORD_HEADER,
  type ChunkJob,
  type ChunkResult,
} from './parallel-protocol.js';
import { BLOCK_SHIFT, loadRow, strideOf } from './store.js';
import { claim, CLAIM_KNOWN, CLAIM_NEW, readAhead } from './visited.js';

export class ChunkExpander {
  private readonly words: number;
  private readonly batch: SuccessorBatch;
  private readonly safety: Invariant[];
  private readonly findings: Invariant[];
  /** words to give the next chunk's records: about what the last one needed (zeroing a large
   * buffer costs, and each chunk's buffer is handed over to the merge) */
  private capacity = 1 << 16;

  constructor(
    private readonly model: Model,
    deadlock: boolean | undefined,
  ) {
    this.words = strideOf(model.stateSize) >> 2;
    this.batch = new SuccessorBatch(model, deadlock ?? model.deadlock ?? true);
    this.safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
    this.findings = (model.invariants ?? []).filter((i) => i.severity === 'finding');
    if (this.findings.length > 31)
      throw new ModelError(
        `model has ${this.findings.length} finding invariants; a search on threads supports at most 31`,
      );
  }

  /** Records: a header (parallel-protocol.ts) and the state's words. */
  expand(job: ChunkJob): ChunkResult {
    const { model, batch, safety, findings, words } = this;
    const rows = job.blocks.map((b) => new Int32Array(b));
    const recordWords = RECORD_HEADER + words;
    // The rows from the job's first block on: ids here are less `base` than in the store.
    const base = job.firstBlock << BLOCK_SHIFT;
    // The job's fields as locals: a message's object is slow to read in a hot loop.
    const claiming = job.mode === 'claim';
    const visited = job.visited!;
    const chunk = job.chunk!;
    const inserts = job.inserts!;
    const limit = job.limit!;
    const canonical = job.symmetry ? model.canonical!.bind(model) : undefined;
    let out =
      job.buffer && job.buffer.byteLength >= this.capacity * 4
        ? new Int32Array(job.buffer)
        : new Int32Array(this.capacity);
    let count = 0;
    let skipped = 0;
    const taken: number[] = [];
    const row = new Int32Array(words);
    const reserve = () => {
      if ((count + 1) * recordWords <= out.length) return;
      const bigger = new Int32Array(out.length * 2);
      bigger.set(out);
      out = bigger;
    };
    const result = (stoppedAt: number): ChunkResult => {
      this.capacity = Math.max(1 << 12, Math.ceil(count * recordWords * 1.25));
      return {
        count,
        skipped,
        stoppedAt,
        branching: batch.branching,
        taken: Int32Array.from(taken),
        buffer: out.buffer as ArrayBuffer,
      };
    };
    for (let from = job.from - base; from < job.to - base; from += BATCH) {
      if (claiming && Atomics.load(inserts, 0) >= limit) return result(from + base);
      const to = Math.min(job.to - base, from + BATCH);
      batch.generate(rows, from, to, canonical);
      const buf = batch.buf;
      if (claiming) readAhead(visited, 3, batch.fingerprints, batch.count);
      let claimed = 0;
      for (let id = from; id < to; id++) {
        const i = id - from;
        if (batch.outcome[i] === CUT_OFF) continue;
        for (let k = batch.first[i]!; k < batch.first[i + 1]!; k++) {
          const hi = batch.fingerprints[2 * k]!;
          const lo = batch.fingerprints[2 * k + 1]!;
          if (claiming) {
            const c = claim(visited, hi, lo, chunk);
            if (c === CLAIM_KNOWN) {
              skipped++;
              continue;
            }
            if (c === CLAIM_NEW) claimed++;
            else taken.push(hi | 0, lo | 0);
          }
          reserve();
          const at = count * recordWords;
          out[at + REC_PARENT] = id + base;
          out[at + REC_ACTION] = batch.action[k]!;
          out[at + REC_ORDINAL] = k - batch.first[i]!;
          out[at + REC_HI] = hi | 0;
          out[at + REC_LO] = lo | 0;
          const s = buf.view(k);
          let bad = 0;
          for (let f = 0; f < safety.length && bad === 0; f++)
            if (!safety[f]!.check(s)) bad = f + 1;
          out[at + REC_BROKEN] = bad;
          out[at + REC_SKIPPED] = skipped;
          skipped = 0;
          let failing = 0;
          for (let f = 0; f < findings.length; f++) if (!findings[f]!.check(s)) failing |= 1 << f;
          out[at + REC_FINDINGS] = failing;
          out.set(buf.row(k), at + RECORD_HEADER);
          count++;
        }
        if (batch.outcome[i] === DEADLOCKED) {
          reserve();
          const at = count * recordWords;
          out.fill(0, at, at + RECORD_HEADER);
          out[at + REC_PARENT] = id + base;
          out[at + REC_ACTION] = DEADLOCK;
          out[at + REC_SKIPPED] = skipped;
          skipped = 0;
          loadRow(rows, words, id, row);
          out.set(row, at + RECORD_HEADER);
          count++;
        }
      }
      if (claimed > 0) Atomics.add(inserts, 0, claimed);
    }
    return result(job.to);
  }
}
