/**
 * The two steps of a level of the partitioned parallel search (parallel.ts), the same in a
 * worker thread and in the main thread. Each partition owns the states whose fingerprints fall
 * in its range (`ownerOf`): its own visited table and its own rows of the level.
 * - `expand`: the successors of a partition's states (batch.ts), each written to its owner's
 *   outbox, keyed by (parent's position in the level, ordinal): each outbox is in key order,
 *   since the states are expanded in the level's order. No table is looked up here: a thread
 *   reads and writes its own table only (looking successors up in the owners' tables first, to
 *   send fewer, cost more than it saved: most successors of a level are new at its start, and
 *   each new one was then looked up twice).
 * - `admit`: an owner takes its inboxes in key order (a merge of sorted streams), so that the
 *   first time it meets a state is under the key the sequential search would have met it first;
 *   the new ones are its states of the next level, in key order, and their invariants are
 *   checked here.
 * The main thread then orders the partitions' new states by key (parallel.ts): the sequential
 * search's ids.
 */
import { BATCH, DEADLOCKED, SuccessorBatch } from './batch.js';
import { holds } from './errors.js';
import type { Invariant, Model } from './model.js';
import {
  ownerOf,
  REC_HI,
  REC_LO,
  REC_ORDINAL,
  REC_PARENT,
  RECORD_HEADER,
  STOP_MEMORY,
  STOP_NONE,
  STOP_VIOLATION,
  type AdmitJob,
  type Admitted,
  type ExpandJob,
  type Expanded,
  type Part,
} from './parallel-protocol.js';
import { BLOCK_SHIFT, strideOf } from './store.js';
import { peek, VisitedSet } from './visited.js';

const BLOCK_ROWS = 1 << BLOCK_SHIFT;
/** How many records of an inbox have their slots in the table read ahead at once. */
const AHEAD = 64;

/** An Int32Array of `n` words in shared memory. */
export const sharedInts = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * n));

/** A shared copy of `a`'s first `n` words (all by default) in an array twice as long. */
function grown(a: Int32Array, n = a.length): Int32Array {
  const b = sharedInts(a.length * 2);
  b.set(n === a.length ? a : a.subarray(0, n));
  return b;
}

/** A partition's rows of a level, in order, a block of BLOCK_ROWS at a time (store.ts), each
 * with a key (its position in the level, or its parent's). */
export class PartRows {
  readonly blocks: Int32Array[] = [];
  keys: Int32Array;
  count = 0;

  /** `capacity`: the rows expected (the keys grow past it); `spare`: blocks to use first */
  constructor(
    private readonly words: number,
    capacity = 1024,
    private readonly spare: Int32Array[] = [],
  ) {
    this.keys = sharedInts(Math.max(1, capacity));
  }

  get bytes(): number {
    return this.blocks.length * BLOCK_ROWS * this.words * 4 + this.keys.byteLength;
  }

  /** Appends the row at word `from` of `src`, with `key`. */
  push(src: Int32Array, from: number, key: number): void {
    const { words, count } = this;
    if ((count & (BLOCK_ROWS - 1)) === 0)
      this.blocks.push(this.spare.pop() ?? sharedInts(BLOCK_ROWS * words));
    if (count === this.keys.length) this.keys = grown(this.keys);
    this.keys[count] = key;
    const block = this.blocks[count >>> BLOCK_SHIFT]!;
    const at = (count & (BLOCK_ROWS - 1)) * words;
    for (let i = 0; i < words; i++) block[at + i] = src[from + i]!;
    this.count = count + 1;
  }

  /** The rows as a partition's level, the keys being the positions. */
  part(): Pick<Part, 'rows' | 'count' | 'pos'> {
    return { rows: this.blocks, count: this.count, pos: this.keys };
  }
}

/** The bytes of a partition's outboxes. */
export const outBytes = (out: readonly Int32Array[]): number =>
  out.reduce((n, o) => n + o.byteLength, 0);

export class Partitioner {
  private readonly words: number;
  private readonly batch: SuccessorBatch;
  private readonly safety: Invariant[];
  private readonly findings: Invariant[];
  /** a state's words, and its bytes for the invariants */
  private readonly row: Int32Array;
  private readonly view: Uint8Array;
  /** the sum of the slots read ahead (kept so that the reads are not optimised away) */
  touched = 0;
  /** per partition this thread expanded, its outboxes, used again level after level (the owners
   * are done with them when the next level starts): fresh memory costs its page faults */
  private readonly outboxes = new Map<number, Int32Array[]>();
  /** blocks of rows of levels expanded here, for the next level's rows (as the outboxes) */
  private readonly spare: Int32Array[] = [];

  constructor(
    private readonly model: Model,
    deadlock: boolean | undefined,
  ) {
    this.words = strideOf(model.stateSize) >> 2;
    this.batch = new SuccessorBatch(model, deadlock ?? model.deadlock ?? true);
    this.safety = (model.invariants ?? []).filter((i) => i.severity !== 'finding');
    this.findings = (model.invariants ?? []).filter((i) => i.severity === 'finding');
    this.row = new Int32Array(this.words);
    this.view = new Uint8Array(this.row.buffer, 0, model.stateSize);
  }

  expand(job: ExpandJob): Expanded {
    const { batch, words, model } = this;
    const { part, parts } = job;
    const recordWords = RECORD_HEADER + words;
    const canonical = job.symmetry ? model.canonical!.bind(model) : undefined;
    let out = this.outboxes.get(job.index);
    if (!out)
      this.outboxes.set(
        job.index,
        (out = Array.from({ length: parts }, () => sharedInts(recordWords << 10))),
      );
    const counts = out.map(() => 0);
    const ends = sharedInts(Math.max(1, part.count));
    let total = 0;
    for (let from = 0; from < part.count; from += BATCH) {
      const to = Math.min(part.count, from + BATCH);
      batch.generate(part.rows, from, to, canonical);
      const fps = batch.fingerprints;
      for (let id = from; id < to; id++) {
        const i = id - from;
        const first = batch.first[i]!;
        const last = batch.first[i + 1]!;
        total += last - first;
        ends[id] = total;
        for (let k = first; k < last; k++) {
          const hi = fps[2 * k]!;
          const lo = fps[2 * k + 1]!;
          const o = ownerOf(hi, parts);
          const at = counts[o]! * recordWords;
          if (at + recordWords > out[o]!.length) {
            // the copy, twice the outbox, is held beside it for a moment
            if (outBytes(out) + 2 * out[o]!.byteLength > job.budget)
              return { out, counts, ends, deadlock: -1, full: part.pos[id]! };
            out[o] = grown(out[o]!, at);
          }
          const box = out[o]!;
          box[at + REC_PARENT] = part.pos[id]!;
          box[at + REC_ORDINAL] = k - first;
          box[at + REC_HI] = hi | 0;
          box[at + REC_LO] = lo | 0;
          box.set(batch.buf.row(k), at + RECORD_HEADER);
          counts[o]!++;
        }
        if (batch.outcome[i] === DEADLOCKED)
          return { out, counts, ends, deadlock: part.pos[id]!, full: -1 };
      }
    }
    this.spare.push(...part.rows);
    return { out, counts, ends, deadlock: -1, full: -1 };
  }

  admit(job: AdmitJob): Admitted {
    const { words, safety, findings, row, view } = this;
    const { part, inboxes } = job;
    const recordWords = RECORD_HEADER + words;
    const visited = VisitedSet.over(part.visited, part.used);
    const at = inboxes.map(() => 0);
    const peeked = inboxes.map(() => 0);
    // The new states with their parents' positions, their ordinals beside: at most one a record.
    const records = inboxes.reduce((n, box) => n + box.count, 0);
    const next = new PartRows(words, records, this.spare);
    const ordinal = sharedInts(Math.max(1, records));
    const held = () => visited.bytes + next.bytes + ordinal.byteLength;
    // The table doubles only if the new one fits beside the old (visited.ts).
    visited.budget = (bytes) => held() + bytes <= job.budget;
    let stop = STOP_NONE;
    let broken = -1;
    let cut: [number, number] = [0, 0];
    const firstFailing = new Int32Array(new SharedArrayBuffer(4 * findings.length)).fill(-1);
    for (;;) {
      // The inbox whose next record has the least key.
      let best = -1;
      let bp = 0;
      let bo = 0;
      for (let q = 0; q < inboxes.length; q++) {
        if (at[q]! >= inboxes[q]!.count) continue;
        const r = inboxes[q]!.records;
        const w = at[q]! * recordWords;
        const p = r[w + REC_PARENT]!;
        const o = r[w + REC_ORDINAL]!;
        if (best < 0 || p < bp || (p === bp && o < bo)) {
          best = q;
          bp = p;
          bo = o;
        }
      }
      if (best < 0) break;
      const r = inboxes[best]!.records;
      // The slots of the inbox's next records, read ahead together (their cache misses overlap,
      // as batch.ts's successors' do).
      if (at[best]! === peeked[best]!) {
        const t = visited.current;
        const end = Math.min(inboxes[best]!.count, at[best]! + AHEAD);
        for (let i = at[best]!, w = i * recordWords; i < end; i++, w += recordWords)
          this.touched += peek(t, r[w + REC_HI]!, r[w + REC_LO]!);
        peeked[best] = end;
      }
      const w = at[best]!++ * recordWords;
      const hi = r[w + REC_HI]!;
      const lo = r[w + REC_LO]!;
      if (visited.findOrInsert(hi, lo, 0) >= 0) continue;
      // Every 64 new states.
      if ((next.count & 63) === 0 && (visited.crowded || held() > job.budget)) {
        stop = STOP_MEMORY;
        cut = [bp, bo];
        break;
      }
      ordinal[next.count] = bo;
      const id = next.count;
      next.push(r, w + RECORD_HEADER, bp);
      for (let i = 0; i < words; i++) row[i] = r[w + RECORD_HEADER + i]!;
      for (let f = 0; f < safety.length && broken < 0; f++)
        if (!holds(safety[f]!, view)) broken = f;
      if (broken >= 0) {
        stop = STOP_VIOLATION;
        break;
      }
      for (let f = 0; f < findings.length; f++)
        if (firstFailing[f]! < 0 && !holds(findings[f]!, view)) firstFailing[f] = id;
    }
    return {
      part: {
        visited: visited.current,
        used: visited.size,
        rows: next.blocks,
        count: next.count,
        pos: sharedInts(Math.max(1, next.count)),
      },
      parent: next.keys,
      ordinal,
      stop,
      broken,
      cut,
      findings: firstFailing,
      bytes: held(),
    };
  }
}
