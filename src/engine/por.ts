/**
 * Partial-order reduction for safety: stubborn sets (Valmari, "Stubborn sets for reduced state
 * space generation", 1990; Godefroid's persistent sets, LNCS 1032, 1996) computed from the
 * actions' footprints (`reads`, `writes`; absent: every variable).
 *
 * Two actions are dependent when one writes a variable the other reads or writes. At a state,
 * a set T of actions is stubborn when it holds an enabled action and is closed under:
 * - for an enabled action in T, every action dependent on it;
 * - for a disabled action in T, every action that may enable it (one that writes a variable it
 *   reads, its guard's among them): a necessary enabling set, taken conservatively.
 * Expanding only T's enabled actions keeps every deadlock. For invariants, two more conditions
 * of the ample-set method (Clarke, Grumberg, Peled, "Model Checking", 1999, ch. 10; Peled,
 * "Combining partial order reductions with on-the-fly model checking", CAV 1994):
 * - visibility (C2): a set that leaves out an enabled action holds no action that writes a
 *   variable an invariant reads (`Invariant.reads`; an invariant without it reads everything);
 * - the cycle proviso (C3), in its breadth-first form (every cycle of the reduced graph has a
 *   fully expanded state: Bošnački and Holzmann, "Improving SPIN's partial-order reduction for
 *   breadth-first search", SPIN 2005): the search expands a state fully when one of its
 *   reduced successors is already known (search.ts). On a cycle, the state found last reaches
 *   one found before it, so it is expanded fully.
 * With symmetry, the sets are computed at the representative, as Emerson, Jha and Peled,
 * "Combining partial order and symmetry reductions" (TACAS 1997) allow, and the proviso is
 * checked on representatives.
 *
 * A stubborn set depends only on which actions are enabled, so each is computed once per
 * enabled set and remembered.
 */
import type { Model } from './model.js';

export class StubbornSets {
  /** 32-bit words per action set */
  private readonly words: number;
  /** dependent[a * words + w]: the actions dependent on a */
  private readonly dependent: Int32Array;
  /** enabling[a * words + w]: the actions that may enable a */
  private readonly enabling: Int32Array;
  /** the actions that write a variable some invariant reads */
  private readonly visible: Int32Array;
  /** per enabled set (as a key): the actions to expand, or undefined for all */
  private readonly memo = new Map<string, Int32Array | undefined>();
  private readonly set: Int32Array;
  private readonly stack: Int32Array;

  constructor(model: Model) {
    const n = model.actions.length;
    const words = (this.words = Math.max(1, Math.ceil(n / 32)));
    const all = Array.from({ length: model.stateSize }, (_, v) => v);
    const reads = model.actions.map((a) => new Set([...(a.reads ?? all), ...(a.writes ?? all)]));
    const writes = model.actions.map((a) => new Set(a.writes ?? all));
    const meets = (x: Set<number>, y: Set<number>) => [...x].some((v) => y.has(v));
    this.dependent = new Int32Array(n * words);
    this.enabling = new Int32Array(n * words);
    this.visible = new Int32Array(words);
    const watched = new Set((model.invariants ?? []).flatMap((inv) => inv.reads ?? all));
    for (let a = 0; a < n; a++) {
      if (meets(writes[a]!, watched)) this.visible[a >> 5]! |= 1 << (a & 31);
      for (let b = 0; b < n; b++) {
        if (meets(writes[a]!, reads[b]!) || meets(writes[b]!, reads[a]!))
          this.dependent[a * words + (b >> 5)]! |= 1 << (b & 31);
        if (meets(writes[b]!, reads[a]!)) this.enabling[a * words + (b >> 5)]! |= 1 << (b & 31);
      }
    }
    this.set = new Int32Array(words);
    this.stack = new Int32Array(n);
  }

  /** The actions to expand at a state whose enabled actions are `enabled` (a set of `words`
   * words): the smallest stubborn set's, or undefined when that is all of them. */
  reduce(enabled: Int32Array): Int32Array | undefined {
    let key = '';
    for (let w = 0; w < this.words; w++)
      key += String.fromCharCode(enabled[w]! & 0xffff, enabled[w]! >>> 16);
    if (this.memo.has(key)) return this.memo.get(key);
    let best: Int32Array | undefined;
    let bestSize = count(enabled);
    for (let w = 0; w < this.words; w++) {
      for (let bits = enabled[w]!; bits !== 0; bits &= bits - 1) {
        const seed = (w << 5) | (31 - Math.clz32(bits & -bits));
        const size = this.close(seed, enabled);
        if (size < bestSize) {
          bestSize = size;
          best = this.set.slice();
        }
      }
    }
    this.memo.set(key, best);
    return best;
  }

  /** The stubborn closure of {seed} into `set`; returns how many enabled actions it holds, or
   * Infinity when it breaks visibility (it then expands everything anyway). */
  private close(seed: number, enabled: Int32Array): number {
    const { words, set, stack, dependent, enabling } = this;
    set.fill(0);
    set[seed >> 5] = 1 << (seed & 31);
    stack[0] = seed;
    let top = 1;
    while (top > 0) {
      const a = stack[--top]!;
      const on = (enabled[a >> 5]! >>> (a & 31)) & 1;
      const add = on ? dependent : enabling;
      for (let w = 0; w < words; w++) {
        let fresh = add[a * words + w]! & ~set[w]!;
        set[w]! |= fresh;
        for (; fresh !== 0; fresh &= fresh - 1)
          stack[top++] = (w << 5) | (31 - Math.clz32(fresh & -fresh));
      }
    }
    let size = 0;
    let visible = false;
    for (let w = 0; w < words; w++) {
      const kept = set[w]! & enabled[w]!;
      size += count1(kept);
      if (kept & this.visible[w]!) visible = true;
    }
    return visible ? Infinity : size;
  }
}

function count1(x: number): number {
  let n = 0;
  for (let b = x; b !== 0; b &= b - 1) n++;
  return n;
}

function count(set: Int32Array): number {
  let n = 0;
  for (const w of set) n += count1(w);
  return n;
}
