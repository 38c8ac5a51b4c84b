import type { Fairness, Liveness, Model } from './model.js';
import { Tarjan } from './scc.js';
import type { EdgeStore, StateStore } from './store.js';
import { actionLabel, step, type Counterexample, type TraceStep } from './trace.js';

const NOT_FAIR = 0;
const WEAK = 1;
const STRONG = 2;

interface FairAction {
  readonly action: number;
  readonly kind: Fairness;
}

/** A path step inside the explored graph: the action taken and the state reached. */
interface Hop {
  readonly action: number;
  readonly to: number;
}

/** The bytes `checkLiveness` allocates for a graph of `n` states and `properties` properties,
 * at most (its arrays, counted from the code below: about 75 a state, and one property's
 * arrays again, which the garbage collector may not have freed yet): the search leaves room
 * for them. */
export function livenessBytes(n: number, properties: number): number {
  return n * (100 + properties);
}

/**
 * Liveness by fair-cycle search over the explored graph. A property fails when, from the
 * states where it is owed, there is an infinite path that never pays it and that respects
 * every fairness condition: a fair strongly connected component (or a final state, where the
 * system stutters forever) reachable while the property stays unpaid. The counterexample is a
 * lasso: a prefix to a state of that component and a cycle through it that takes every
 * fairness-relevant action it must.
 */
export function checkLiveness(
  model: Model,
  store: StateStore,
  edges: EdgeStore,
  useFairness: boolean,
): Counterexample | undefined {
  const n = store.count;
  const fair: FairAction[] = useFairness
    ? model.actions.flatMap((a, i) => (a.fairness ? [{ action: i, kind: a.fairness }] : []))
    : [];
  const row = new Int32Array(store.stride >> 2);
  const view = new Uint8Array(row.buffer, 0, store.stateSize);
  const evaluate = (f: (s: Uint8Array) => boolean): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      store.load(i, row);
      out[i] = f(view) ? 1 : 0;
    }
    return out;
  };
  // States cut off by the state constraint have an unknown future: never a stuttering end.
  const expanded = model.constraint
    ? evaluate(model.constraint.bind(model))
    : new Uint8Array(n).fill(1);
  const actions = model.actions.length;
  const scratch: LivenessScratch = {
    tarjan: new Tarjan(edges, n),
    member: new Int32Array(n),
    inSet: new Uint8Array(n),
    generation: 0,
    enabledIn: new Int32Array(actions),
    taken: new Uint8Array(actions),
    lastState: new Int32Array(actions),
    judgedIn: new Int32Array(actions),
    touched: new Int32Array(actions),
    judgements: 0,
    fairness: new Uint8Array(actions),
  };
  for (const f of fair) scratch.fairness[f.action] = f.kind === 'weak' ? WEAK : STRONG;

  const props = model.liveness ?? [];
  const loops = new Loops(edges, n, expanded, scratch);
  const looping = loops.states;
  // Where each property is unpaid among the looping states, all in one pass over the store.
  const paid = props.map((prop) =>
    prop.kind === 'leadsTo' ? prop.q?.bind(prop) : prop.p.bind(prop),
  );
  const unpaid = props.map(() => new Uint8Array(looping.length));
  for (let k = 0; k < looping.length; k++) {
    store.load(looping[k]!, row);
    for (let j = 0; j < props.length; j++) unpaid[j]![k] = paid[j] && !paid[j]!(view) ? 1 : 0;
  }

  for (const [j, prop] of props.entries()) {
    if (paid[j] && !mayFail(loops, unpaid[j]!, edges, expanded, scratch)) continue;
    const { region, sources } = regionOf(prop, n, store, evaluate);
    const reach = reachWithin(edges, n, region, sources);
    const components = fairComponents(edges, reach.mask, 1, sources, expanded, scratch);
    if (components.length === 0) continue;
    const inFair = new Int32Array(n).fill(-1);
    components.forEach((c, k) => c.forEach((s) => (inFair[s] = k)));
    const entry = reach.order.find((s) => inFair[s]! >= 0)!;
    const component = components[inFair[entry]!]!;

    let source = entry;
    const regionHops: Hop[] = [];
    while (reach.parent[source]! >= 0) {
      regionHops.push({ action: reach.via[source]!, to: source });
      source = reach.parent[source]!;
    }
    regionHops.reverse();
    const trace: TraceStep[] = store
      .pathTo(source)
      .map((i) => step(model.actions, store.via[i]!, store.get(i)));
    for (const hop of regionHops) trace.push(step(model.actions, hop.action, store.get(hop.to)));
    const loopStart = trace.length - 1;
    for (const hop of cycleThrough(edges, n, component, entry, fair))
      trace.push(step(model.actions, hop.action, store.get(hop.to)));
    return {
      kind: 'liveness',
      property: prop.name,
      doc: prop.doc,
      trace,
      loopStart,
      fairness: fair.map(
        (f) => `${f.kind === 'weak' ? 'WF' : 'SF'}(${actionLabel(model.actions[f.action]!)})`,
      ),
    };
  }
  return undefined;
}

/**
 * The looping states: those on a cycle (of a strongly connected component of the whole graph
 * with an internal edge) or where the system stops. Every infinite path ends among them, and
 * every fair component a property's search can find lies inside one of these components.
 */
class Loops {
  /** the looping states, in id order (the properties' predicates then read the store in order) */
  readonly states: Int32Array;
  /** per state: its component + 1, or 0 if it does not loop */
  readonly component: Int32Array;
  /** the components' states, component after component, from start[k] to start[k + 1] */
  readonly members: Int32Array;
  readonly start: number[] = [0];
  /** per component: whether it holds a fair component, once asked (undefined: not yet) */
  readonly fair: (boolean | undefined)[] = [];
  /** scratch for the roots of a search within one component */
  readonly roots: Int32Array;

  constructor(edges: EdgeStore, n: number, expanded: Uint8Array, scratch: LivenessScratch) {
    const all = ++scratch.generation;
    scratch.member.fill(all);
    const roots = new Int32Array(n);
    for (let i = 0; i < n; i++) roots[i] = i;
    this.component = new Int32Array(n);
    this.members = new Int32Array(n);
    let count = 0;
    scratch.tarjan.run(scratch.member, all, roots, (c) => {
      if (c.length === 1 && !singleLoops(edges, c[0]!, expanded)) return;
      this.members.set(c, count);
      count += c.length;
      this.start.push(count);
      for (const s of c) this.component[s] = this.start.length - 1;
    });
    this.states = this.members.slice(0, count).sort();
    this.roots = roots;
  }
}

/**
 * Whether a property can fail at all: whether some looping component holds a fair component of
 * the states where the property is unpaid (`unpaidAt`, per looping state), reachable or not.
 * Any fair component the property's own search finds is one of these (what is reachable
 * within the unpaid states is closed under their steps, so it holds whole components), so
 * where there is none the property holds and its whole-graph search is skipped. A component
 * unpaid throughout is judged once for all properties.
 */
function mayFail(
  loops: Loops,
  unpaidAt: Uint8Array,
  edges: EdgeStore,
  expanded: Uint8Array,
  scratch: LivenessScratch,
): boolean {
  const { states, component, members, start } = loops;
  const unpaid = ++scratch.generation;
  const count = new Int32Array(start.length - 1);
  for (let k = 0; k < states.length; k++) {
    if (!unpaidAt[k]) continue;
    scratch.member[states[k]!] = unpaid;
    count[component[states[k]!]! - 1]!++;
  }
  for (let c = 0; c < count.length; c++) {
    if (count[c] === 0) continue;
    const whole = count[c] === start[c + 1]! - start[c]!;
    if (whole && loops.fair[c] !== undefined) {
      if (loops.fair[c]) return true;
      continue;
    }
    // Only this component's unpaid states: the search must not wander into another.
    const inside = ++scratch.generation;
    let roots = 0;
    for (let i = start[c]!; i < start[c + 1]!; i++) {
      const s = members[i]!;
      if (scratch.member[s] !== unpaid) continue;
      scratch.member[s] = inside;
      loops.roots[roots++] = s;
    }
    const found =
      fairComponents(
        edges,
        scratch.member,
        inside,
        loops.roots.subarray(0, roots),
        expanded,
        scratch,
      ).length > 0;
    if (whole) loops.fair[c] = found;
    if (found) return true;
  }
  return false;
}

/** Where a property is unpaid, and the states from which an unpaid infinite path may start. */
function regionOf(
  prop: Liveness,
  n: number,
  store: StateStore,
  evaluate: (f: (s: Uint8Array) => boolean) => Uint8Array,
) {
  const p = evaluate(prop.p.bind(prop));
  const region = new Uint8Array(n);
  const sources = new Int32Array(n);
  let count = 0;
  if (prop.kind === 'leadsTo') {
    if (!prop.q) throw new Error(`liveness property "${prop.name}" is leadsTo but has no q`);
    const q = evaluate(prop.q.bind(prop));
    for (let i = 0; i < n; i++) {
      region[i] = q[i] ? 0 : 1;
      if (p[i] && region[i]) sources[count++] = i;
    }
  } else {
    for (let i = 0; i < n; i++) region[i] = p[i] ? 0 : 1;
    for (let i = 0; i < n; i++) {
      const isSource = prop.kind === 'eventually' ? i < store.parents.initialCount : true;
      if (isSource && region[i]) sources[count++] = i;
    }
  }
  return { region, sources: sources.subarray(0, count) };
}

/** Breadth-first reachability inside `region`, with parents for the shortest way in. */
function reachWithin(edges: EdgeStore, n: number, region: Uint8Array, sources: Int32Array) {
  const mask = new Uint8Array(n);
  const parent = new Int32Array(n).fill(-1);
  const via = new Int32Array(n);
  const order = new Int32Array(n);
  let count = 0;
  for (const s of sources) {
    if (mask[s]) continue;
    mask[s] = 1;
    order[count++] = s;
  }
  for (let h = 0; h < count; h++) {
    const v = order[h]!;
    for (let e = edges.start[v]!; e < edges.start[v + 1]!; e++) {
      const w = edges.targets[e]!;
      if (!region[w] || mask[w]) continue;
      mask[w] = 1;
      parent[w] = v;
      via[w] = edges.actions[e]!;
      order[count++] = w;
    }
  }
  return { mask, parent, via, order: order.subarray(0, count) };
}

/** The components of the states s with `members[s] === is` that contain a fair infinite path (Emerson-Lei refinement
 * for strong fairness: states enabling a strongly fair action never taken inside are removed
 * and the rest is split again). */
function fairComponents(
  edges: EdgeStore,
  members: Uint8Array | Int32Array,
  is: number,
  roots: ArrayLike<number>,
  expanded: Uint8Array,
  scratch: LivenessScratch,
): Int32Array[] {
  const out: Int32Array[] = [];
  // Components still to split, with the strongly fair actions their states must not enable.
  const work: { states: Int32Array; bad: Set<number> }[] = [];
  const { tarjan, member, inSet } = scratch;
  // Each component is judged as Tarjan finds it (in its reused buffer), and copied only if kept:
  // most are single states without a loop, or unfair.
  const judged = (c: Int32Array) => {
    if (c.length === 1 && !singleLoops(edges, c[0]!, expanded)) return;
    for (const s of c) inSet[s] = 1;
    const verdict = judge(edges, c, inSet, scratch);
    for (const s of c) inSet[s] = 0;
    if (verdict === 'fair') out.push(c.slice());
    else if (verdict !== 'unfair') work.push({ states: c.slice(), bad: verdict });
  };
  tarjan.run(members, is, roots, judged);
  while (work.length > 0) {
    const { states, bad } = work.pop()!;
    const rest = ++scratch.generation;
    for (const s of states) if (!enablesAny(edges, s, bad)) member[s] = rest;
    tarjan.run(member, rest, states, judged);
  }
  return out.sort((a, b) => minOf(a) - minOf(b));
}

/** Scratch arrays of the graph's size, allocated once for every property's check. */
interface LivenessScratch {
  readonly tarjan: Tarjan;
  /** the states of the component being judged */
  readonly inSet: Uint8Array;
  /** membership of the subgraph being split: member[s] === generation */
  readonly member: Int32Array;
  generation: number;
  /** per action: in how many states of a component it is enabled, and whether taken inside */
  readonly enabledIn: Int32Array;
  readonly taken: Uint8Array;
  /** per action: the judgement that last reset its counts, and the actions it reset */
  readonly judgedIn: Int32Array;
  readonly touched: Int32Array;
  judgements: number;
  /** per action: NOT_FAIR, WEAK or STRONG (as checked: none without fairness) */
  readonly fairness: Uint8Array;
  /** per action: the last state (+ 1) that counted it enabled */
  readonly lastState: Int32Array;
}

function minOf(a: Int32Array): number {
  let m = Infinity;
  for (const x of a) if (x < m) m = x;
  return m;
}

/** A single state carries an infinite path if it has an edge to itself, or is an expanded state
 * with no successors at all (the system stops there and stutters). */
function singleLoops(edges: EdgeStore, s: number, expanded: Uint8Array): boolean {
  const from = edges.start[s]!;
  const to = edges.start[s + 1]!;
  if (from === to) return expanded[s] === 1;
  for (let e = from; e < to; e++) if (edges.targets[e] === s) return true;
  return false;
}

/** `fair`, `unfair` (a weak fairness condition fails everywhere inside), or the strongly fair
 * actions that are enabled inside but never taken inside. One pass over the component's edges;
 * only the actions enabled in it are looked at again. */
function judge(
  edges: EdgeStore,
  c: Int32Array,
  inSet: Uint8Array,
  scratch: LivenessScratch,
): 'fair' | 'unfair' | Set<number> {
  const { enabledIn, taken, lastState, judgedIn, touched, fairness } = scratch;
  const gen = ++scratch.judgements;
  let count = 0;
  for (const s of c) {
    for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) {
      const a = edges.actions[e]!;
      if (judgedIn[a] !== gen) {
        judgedIn[a] = gen;
        enabledIn[a] = 0;
        taken[a] = 0;
        lastState[a] = -1;
        touched[count++] = a;
      }
      if (lastState[a] !== s) {
        lastState[a] = s;
        enabledIn[a]!++;
      }
      if (inSet[edges.targets[e]!]) taken[a] = 1;
    }
  }
  let badStrong: Set<number> | undefined;
  for (let i = 0; i < count; i++) {
    const a = touched[i]!;
    if (taken[a] || fairness[a] === NOT_FAIR) continue;
    if (fairness[a] === WEAK && enabledIn[a] === c.length) return 'unfair';
    if (fairness[a] === STRONG) (badStrong ??= new Set()).add(a);
  }
  return badStrong ?? 'fair';
}

function enablesAny(edges: EdgeStore, s: number, actions: Set<number>): boolean {
  for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++)
    if (actions.has(edges.actions[e]!)) return true;
  return false;
}

function enables(edges: EdgeStore, s: number, action: number): boolean {
  for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++)
    if (edges.actions[e] === action) return true;
  return false;
}

/** A cycle from `entry` back to itself inside the component, through one internal edge of
 * every fair action enabled in it (or, for a weakly fair action never taken, a state where it
 * is disabled). Empty when the component is a final state that stutters. */
function cycleThrough(
  edges: EdgeStore,
  n: number,
  component: Int32Array,
  entry: number,
  fair: readonly FairAction[],
): Hop[] {
  const inSet = new Uint8Array(n);
  for (const s of component) inSet[s] = 1;
  const hops: Hop[] = [];
  let at = entry;
  const go = (target: (s: number) => boolean) => {
    const path = shortestPath(edges, inSet, at, target);
    hops.push(...path);
    if (path.length > 0) at = path[path.length - 1]!.to;
  };
  for (const f of fair) {
    const internal = findEdge(edges, component, inSet, f.action);
    if (internal) {
      go((s) => s === internal.from);
      hops.push({ action: f.action, to: internal.to });
      at = internal.to;
    } else if (component.some((s) => enables(edges, s, f.action))) {
      go((s) => !enables(edges, s, f.action));
    }
  }
  if (hops.length === 0) {
    if (edges.start[entry] === edges.start[entry + 1]) return [];
    // Nothing to visit: leave the entry by one internal edge and come back.
    for (let e = edges.start[entry]!; e < edges.start[entry + 1]!; e++) {
      const w = edges.targets[e]!;
      if (!inSet[w]) continue;
      hops.push({ action: edges.actions[e]!, to: w });
      at = w;
      break;
    }
  }
  if (at !== entry) go((s) => s === entry);
  return hops;
}

function findEdge(edges: EdgeStore, component: Int32Array, inSet: Uint8Array, action: number) {
  for (const s of component) {
    for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) {
      if (edges.actions[e] === action && inSet[edges.targets[e]!])
        return { from: s, to: edges.targets[e]! };
    }
  }
  return undefined;
}

/** Shortest path inside `inSet` from `from` to the first state satisfying `target` (zero hops
 * when `from` already does). */
function shortestPath(
  edges: EdgeStore,
  inSet: Uint8Array,
  from: number,
  target: (s: number) => boolean,
): Hop[] {
  if (target(from)) return [];
  const parent = new Map<number, { prev: number; action: number }>();
  const queue = [from];
  parent.set(from, { prev: -1, action: -1 });
  for (let h = 0; h < queue.length; h++) {
    const v = queue[h]!;
    for (let e = edges.start[v]!; e < edges.start[v + 1]!; e++) {
      const w = edges.targets[e]!;
      if (!inSet[w] || parent.has(w)) continue;
      parent.set(w, { prev: v, action: edges.actions[e]! });
      if (target(w)) {
        const hops: Hop[] = [];
        for (let at = w; at !== from; at = parent.get(at)!.prev)
          hops.push({ action: parent.get(at)!.action, to: at });
        return hops.reverse();
      }
      queue.push(w);
    }
  }
  return [];
}
