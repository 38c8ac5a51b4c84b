/**
 * Partial-order reduction: stubborn sets (Valmari, "Stubborn sets for reduced state
 * space generation", 1990; Godefroid's persistent sets, LNCS 1032, 1996) computed from the
 * actions' footprints (`reads`, `writes`; absent: every variable) and guards.
 *
 * Two actions are dependent when one writes a variable the other reads or writes and their
 * guards do not rule out that both are enabled at once (two guards that ask one variable for
 * different values: two labels of one process). At a state, a set T of actions is stubborn
 * when it holds an enabled action and is closed under:
 * - for an enabled action in T, every action dependent on it. An action never enabled together
 *   with it can be left out: a sequence outside T that starts where it is enabled runs, by
 *   induction, only actions independent of it, so it stays enabled (Godefroid, ch. 4, where
 *   only transitions that may be co-enabled need be added);
 * - for a disabled action in T, a necessary enabling set: where one of its guard's conditions
 *   fails, the actions that write that variable (the first failing condition; Godefroid's
 *   choice of the transitions that lead a process to the label it waits at), else every action
 *   that writes a variable it reads.
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
 * Liveness (`liveness` given) is checked on the reduced graph where that is sound. Its
 * properties are LTL without next; with visibility and the cycle proviso (every cycle of the
 * reduced graph has a fully expanded state) the reduced graph is stuttering equivalent to the
 * full one for the propositions made visible (Clarke, Grumberg, Peled, "Model Checking", ch. 10:
 * conditions C0 to C3 and their correctness proof; Peled, CAV 1994). Visible here: the variables
 * each property reads (`Liveness.reads`; absent, every one) and, for weak fairness, each fair
 * action's enabledness (every writer of what it reads is visible, itself among them, so its
 * occurrences keep their order too). The liveness check (liveness.ts) judges an action enabled
 * where it sees its edge, so a state where a fair action is enabled is expanded fully. With
 * strongly fair actions liveness is not checked (`reducesLiveness`), as issue 16 asks.
 * With symmetry, the sets are computed at the representative, as Emerson, Jha and Peled,
 * "Combining partial order and symmetry reductions" (TACAS 1997) allow, and the proviso is
 * checked on representatives.
 *
 * A stubborn set depends only on which actions are enabled and which guard condition of each
 * disabled one fails first, so each is computed once per such pair and remembered.
 */
import type { Model, State } from './model.js';

export class StubbornSets {
  /** 32-bit words per action set */
  private readonly words: number;
  /** dependents[a * words + w]: the actions dependent on a */
  private readonly dependents: Int32Array;
  /** enabling[a * words + w]: the actions that may enable a (write a variable it reads) */
  private readonly enabling: Int32Array;
  /** necessary[(a * conditions + j) * words + w]: the writers of a's guard condition j */
  private readonly necessary: Int32Array;
  /** the most conditions a guard has */
  private readonly conditions: number;
  /** holds[j]: per guarded variable and value, the actions whose condition j that value
   * satisfies (an action with fewer conditions: all values), as guards.ts tabulates guards */
  private readonly holds: Int32Array[];
  private readonly guarded: Int32Array;
  /** the actions that write a variable some invariant reads (and with liveness, see above) */
  private readonly visible: Int32Array;
  /** with liveness and fairness: the fair actions (a state enabling one is not reduced) */
  private readonly fair: Int32Array;
  /** per enabled set and failing conditions (`key`): the index of the actions to expand (or
   * undefined: all) in `results` */
  private readonly memo: WordsTable;
  private readonly results: (Int32Array | undefined)[] = [];
  /** per enabled set: 1 when no state with it can be reduced, else 0 */
  private readonly hopeless: WordsTable;
  private readonly key: Int32Array;
  private readonly set: Int32Array;
  private readonly stack: Int32Array;
  /** per condition j, the actions whose condition j holds in the state being reduced */
  private readonly met: Int32Array;

  /** `liveness`: the reduced graph is also to be checked for liveness, with or without the
   * actions' fairness. */
  constructor(model: Model, liveness?: { readonly fairness: boolean }) {
    const actions = model.actions;
    const n = actions.length;
    const words = (this.words = Math.max(1, Math.ceil(n / 32)));
    const all = Array.from({ length: model.stateSize }, (_, v) => v);
    const writes = actions.map((a) => [...new Set(a.writes ?? all)]);
    const reads = actions.map((a, i) => [...new Set([...(a.reads ?? all), ...writes[i]!])]);
    const guards = actions.map((a) => a.guard ?? []);
    const bit = (set: Int32Array, at: number, b: number) => (set[at + (b >> 5)]! |= 1 << (b & 31));
    const or = (into: Int32Array, at: number, from: Int32Array, to: number) => {
      for (let w = 0; w < words; w++) into[at + w]! |= from[to + w]!;
    };
    // Per variable, the actions that write it and those that read it.
    const writers = new Int32Array(model.stateSize * words);
    const readers = new Int32Array(model.stateSize * words);
    for (let a = 0; a < n; a++) {
      for (const x of writes[a]!) bit(writers, x * words, a);
      for (const x of reads[a]!) bit(readers, x * words, a);
    }
    this.dependents = new Int32Array(n * words);
    this.enabling = new Int32Array(n * words);
    this.visible = new Int32Array(words);
    this.fair = new Int32Array(words);
    const watched = new Set((model.invariants ?? []).flatMap((inv) => inv.reads ?? all));
    if (liveness) {
      for (const p of model.liveness ?? []) for (const x of p.reads ?? all) watched.add(x);
      if (liveness.fairness)
        actions.forEach((a, i) => {
          if (!a.fairness) return;
          bit(this.fair, 0, i);
          for (const x of reads[i]!) watched.add(x);
        });
    }
    for (let a = 0; a < n; a++) {
      if (writes[a]!.some((x) => watched.has(x))) bit(this.visible, 0, a);
      for (const x of reads[a]!) or(this.enabling, a * words, writers, x * words);
      or(this.dependents, a * words, this.enabling, a * words);
      for (const x of writes[a]!) or(this.dependents, a * words, readers, x * words);
      this.dependents[a * words + (a >> 5)]! &= ~(1 << (a & 31));
      // Two labels of one process (one variable, two values) are never enabled together.
      for (const [x, want] of guards[a]!)
        guards.forEach((other, b) => {
          if (other.some(([y, value]) => y === x && value !== want))
            this.dependents[a * words + (b >> 5)]! &= ~(1 << (b & 31));
        });
    }
    const k = (this.conditions = Math.max(0, ...guards.map((g) => g.length)));
    this.necessary = new Int32Array(n * k * words);
    const vars = [...new Set(guards.flatMap((g) => g.map(([x]) => x)))].sort((x, y) => x - y);
    this.guarded = Int32Array.from(vars);
    this.holds = Array.from({ length: k }, () =>
      new Int32Array(vars.length * 256 * words).fill(-1),
    );
    guards.forEach((guard, a) =>
      guard.forEach(([x, want], j) => {
        or(this.necessary, (a * k + j) * words, writers, x * words);
        const base = vars.indexOf(x) * 256;
        for (let value = 0; value < 256; value++)
          if (value !== want)
            this.holds[j]![(base + value) * words + (a >> 5)]! &= ~(1 << (a & 31));
      }),
    );
    this.met = new Int32Array(k * words);
    this.key = new Int32Array(words + k * words);
    this.memo = new WordsTable(this.key.length);
    this.hopeless = new WordsTable(words);
    this.set = new Int32Array(words);
    this.stack = new Int32Array(n);
  }

  /** Are actions a and b dependent (the relation the sets are closed under)? For tests. */
  dependent(a: number, b: number): boolean {
    return ((this.dependents[a * this.words + (b >> 5)]! >>> (b & 31)) & 1) === 1;
  }

  /** The actions to expand at state `s`, whose enabled actions are `enabled` (a set of `words`
   * words): the smallest stubborn set's, or undefined when that is all of them. */
  reduce(s: State, enabled: Int32Array): Int32Array | undefined {
    const all = count(enabled);
    if (all <= 1) return undefined;
    for (let w = 0; w < this.words; w++) if (enabled[w]! & this.fair[w]!) return undefined;
    // Closed under the enabled actions' dependents alone, each seed's set is a lower bound of
    // its stubborn set in every state with these enabled actions: where none is smaller than
    // all of them, no such state can be reduced, whatever its guards say.
    let hopeless = this.hopeless.find(enabled);
    if (hopeless < 0) {
      hopeless = this.smallest(enabled, all, true) ? 0 : 1;
      this.hopeless.insert(enabled, hopeless);
    }
    if (hopeless === 1) return undefined;
    const { words, met, guarded } = this;
    met.fill(-1);
    for (let j = 0; j < this.conditions; j++) {
      const table = this.holds[j]!;
      for (let i = 0; i < guarded.length; i++) {
        const at = (i * 256 + s[guarded[i]!]!) * words;
        for (let w = 0; w < words; w++) met[j * words + w]! &= table[at + w]!;
      }
    }
    // The key: the enabled actions, and which conditions hold for the disabled ones.
    const key = this.key;
    key.set(enabled);
    for (let w = 0; w < met.length; w++) key[words + w] = met[w]! & ~enabled[w % words]!;
    const known = this.memo.find(key);
    if (known >= 0) return this.results[known];
    const best = this.smallest(enabled, all, false);
    this.memo.insert(key, this.results.length);
    this.results.push(best);
    return best;
  }

  /** The smallest set (of fewer than `all` enabled actions) among the seeds' closures, or
   * undefined. `lower`: the closures leave out the disabled actions' enabling sets. */
  private smallest(enabled: Int32Array, all: number, lower: boolean): Int32Array | undefined {
    let best: Int32Array | undefined;
    let bestSize = all;
    for (let w = 0; w < this.words; w++) {
      for (let bits = enabled[w]!; bits !== 0; bits &= bits - 1) {
        const seed = (w << 5) | (31 - Math.clz32(bits & -bits));
        const size = this.close(seed, enabled, bestSize, lower);
        if (size < bestSize) {
          bestSize = size;
          best = this.set.slice();
        }
      }
    }
    return best;
  }

  /** The stubborn closure of {seed} into `set`: how many enabled actions it holds, or Infinity
   * as soon as it holds `bound` of them or breaks visibility (nothing is reduced then). */
  private close(seed: number, enabled: Int32Array, bound: number, lower: boolean): number {
    const { words, set, stack, visible } = this;
    set.fill(0);
    set[seed >> 5] = 1 << (seed & 31);
    if ((visible[seed >> 5]! >>> (seed & 31)) & 1) return Infinity;
    stack[0] = seed;
    let top = 1;
    let size = 1;
    while (top > 0) {
      const a = stack[--top]!;
      let table = this.dependents;
      let at = a * words;
      if (!((enabled[a >> 5]! >>> (a & 31)) & 1)) {
        if (lower) continue;
        at = this.necessaryAt(a);
        table = at < 0 ? this.enabling : this.necessary;
        if (at < 0) at = a * words;
      }
      for (let w = 0; w < words; w++) {
        let fresh = table[at + w]! & ~set[w]!;
        set[w]! |= fresh;
        const on = fresh & enabled[w]!;
        if (on !== 0) {
          size += count1(on);
          if (size >= bound || (on & visible[w]!) !== 0) return Infinity;
        }
        for (; fresh !== 0; fresh &= fresh - 1)
          stack[top++] = (w << 5) | (31 - Math.clz32(fresh & -fresh));
      }
    }
    return size;
  }

  /** Where disabled action a's necessary enabling set is in `necessary`: the writers of its
   * first guard condition that fails; -1 when its guard holds (then: `enabling`, the writers
   * of everything it reads). */
  private necessaryAt(a: number): number {
    const { words, met } = this;
    for (let j = 0; j < this.conditions; j++)
      if (!((met[j * words + (a >> 5)]! >>> (a & 31)) & 1))
        return (a * this.conditions + j) * words;
    return -1;
  }
}

/** Is liveness checked on the reduced graph (the header)? Not where an action is strongly fair:
 * --por then checks the safety part only, and says so. */
export function reducesLiveness(model: Model, fairness: boolean): boolean {
  return !fairness || !model.actions.some((a) => a.fairness === 'strong');
}

/** A hash table from fixed-length rows of words to numbers (open addressing, linear probing):
 * a memo looked up on every state, where string keys cost more than the search itself. */
class WordsTable {
  private keys: Int32Array;
  /** per slot: the value + 1, or 0 when empty */
  private values: Int32Array;
  private size = 0;

  constructor(private readonly width: number) {
    this.keys = new Int32Array(1024 * width);
    this.values = new Int32Array(1024);
  }

  /** The value stored for `key`, or -1. */
  find(key: Int32Array): number {
    const { width, keys, values } = this;
    const mask = values.length - 1;
    for (let i = hash(key) & mask; values[i] !== 0; i = (i + 1) & mask) {
      let w = 0;
      while (w < width && keys[i * width + w] === key[w]) w++;
      if (w === width) return values[i]! - 1;
    }
    return -1;
  }

  insert(key: Int32Array, value: number): void {
    if (2 * (this.size + 1) > this.values.length) this.grow();
    const { width, keys, values } = this;
    const mask = values.length - 1;
    let i = hash(key) & mask;
    while (values[i] !== 0) i = (i + 1) & mask;
    keys.set(key, i * width);
    values[i] = value + 1;
    this.size++;
  }

  private grow(): void {
    const { width, keys, values } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(values.length * 2);
    this.size = 0;
    for (let i = 0; i < values.length; i++)
      if (values[i] !== 0) this.insert(keys.subarray(i * width, (i + 1) * width), values[i]! - 1);
  }
}

/** FNV-1a over words, with a final mix. */
function hash(key: Int32Array): number {
  let h = 0x811c9dc5;
  for (let w = 0; w < key.length; w++) h = Math.imul(h ^ key[w]!, 16777619);
  return (h ^ (h >>> 15)) >>> 0;
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
