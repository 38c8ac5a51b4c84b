import type { Fairness, Liveness, Model } from './model.js';
import { stronglyConnected } from './scc.js';
import type { EdgeStore, StateStore } from './store.js';
import { actionLabel, step, type Counterexample, type TraceStep } from './trace.js';

interface FairAction {
  readonly action: number;
  readonly kind: Fairness;
}

/** A path step inside the explored graph: the action taken and the state reached. */
interface Hop {
  readonly action: number;
  readonly to: number;
}

/**
 * Liveness by fair-cycle search over the explored graph. A property fails when, from the
 * states where it is owed, there is an infinite path that never pays it and that respects
 * every fairness condition: a fair strongly connected component (or a final state, where the
 * system stutters forever) reachable while the property stays unpaid. The counterexample is a
 * lasso: a prefix to a state of that component and a cycle through it that takes every
 * fairness-relevant action it must.
 */
export function checkLiveness(model: Model, store: StateStore, edges: EdgeStore, useFairness: boolean): Counterexample | undefined {
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
  const expanded = model.constraint ? evaluate(model.constraint.bind(model)) : new Uint8Array(n).fill(1);

  for (const prop of model.liveness ?? []) {
    const { region, sources } = regionOf(prop, n, store, evaluate);
    const reach = reachWithin(edges, n, region, sources);
    const components = fairComponents(edges, n, reach.mask, sources, fair, expanded);
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
    const trace: TraceStep[] = store.pathTo(source).map((i) => step(model.actions, store.via[i]!, store.get(i)));
    for (const hop of regionHops) trace.push(step(model.actions, hop.action, store.get(hop.to)));
    const loopStart = trace.length - 1;
    for (const hop of cycleThrough(edges, n, component, entry, fair)) trace.push(step(model.actions, hop.action, store.get(hop.to)));
    return {
      kind: 'liveness',
      property: prop.name,
      doc: prop.doc,
      trace,
      loopStart,
      fairness: fair.map((f) => `${f.kind === 'weak' ? 'WF' : 'SF'}(${actionLabel(model.actions[f.action]!)})`),
    };
  }
  return undefined;
}

/** Where a property is unpaid, and the states from which an unpaid infinite path may start. */
function regionOf(prop: Liveness, n: number, store: StateStore, evaluate: (f: (s: Uint8Array) => boolean) => Uint8Array) {
  const p = evaluate(prop.p.bind(prop));
  const region = new Uint8Array(n);
  const sources: number[] = [];
  if (prop.kind === 'leadsTo') {
    if (!prop.q) throw new Error(`liveness property "${prop.name}" is leadsTo but has no q`);
    const q = evaluate(prop.q.bind(prop));
    for (let i = 0; i < n; i++) {
      region[i] = q[i] ? 0 : 1;
      if (p[i] && region[i]) sources.push(i);
    }
  } else {
    for (let i = 0; i < n; i++) region[i] = p[i] ? 0 : 1;
    for (let i = 0; i < n; i++) {
      const isSource = prop.kind === 'eventually' ? store.parent[i] === -1 : true;
      if (isSource && region[i]) sources.push(i);
    }
  }
  return { region, sources };
}

/** Breadth-first reachability inside `region`, with parents for the shortest way in. */
function reachWithin(edges: EdgeStore, n: number, region: Uint8Array, sources: number[]) {
  const mask = new Uint8Array(n);
  const parent = new Int32Array(n).fill(-1);
  const via = new Int32Array(n);
  const order: number[] = [];
  for (const s of sources) {
    if (mask[s]) continue;
    mask[s] = 1;
    order.push(s);
  }
  for (let h = 0; h < order.length; h++) {
    const v = order[h]!;
    for (let e = edges.start[v]!; e < edges.start[v + 1]!; e++) {
      const w = edges.targets[e]!;
      if (!region[w] || mask[w]) continue;
      mask[w] = 1;
      parent[w] = v;
      via[w] = edges.actions[e]!;
      order.push(w);
    }
  }
  return { mask, parent, via, order };
}

/** The components of `members` that contain a fair infinite path (Emerson-Lei refinement
 * for strong fairness: states enabling a strongly fair action never taken inside are removed
 * and the rest is split again). */
function fairComponents(
  edges: EdgeStore,
  n: number,
  members: Uint8Array,
  roots: number[],
  fair: readonly FairAction[],
  expanded: Uint8Array,
): number[][] {
  const out: number[][] = [];
  const work = stronglyConnected(edges, n, members, roots);
  const inSet = new Uint8Array(n);
  while (work.length > 0) {
    const c = work.pop()!;
    for (const s of c) inSet[s] = 1;
    if (isCycle(edges, c, inSet, expanded)) {
      const verdict = judge(edges, c, inSet, fair);
      if (verdict === 'fair') out.push(c);
      else if (verdict !== 'unfair') {
        const rest = new Uint8Array(n);
        for (const s of c) if (!enablesAny(edges, s, verdict)) rest[s] = 1;
        work.push(...stronglyConnected(edges, n, rest, c));
      }
    }
    for (const s of c) inSet[s] = 0;
  }
  return out.sort((a, b) => Math.min(...a) - Math.min(...b));
}

/** A component carries an infinite path if it has an internal edge, or is one expanded state
 * with no successors at all (the system stops there and stutters). */
function isCycle(edges: EdgeStore, c: number[], inSet: Uint8Array, expanded: Uint8Array): boolean {
  if (c.length > 1) return true;
  const s = c[0]!;
  const from = edges.start[s]!;
  const to = edges.start[s + 1]!;
  if (from === to) return expanded[s] === 1;
  for (let e = from; e < to; e++) if (inSet[edges.targets[e]!]) return true;
  return false;
}

/** `fair`, `unfair` (a weak fairness condition fails everywhere inside), or the strongly fair
 * actions that are enabled inside but never taken inside. */
function judge(edges: EdgeStore, c: number[], inSet: Uint8Array, fair: readonly FairAction[]): 'fair' | 'unfair' | Set<number> {
  const badStrong = new Set<number>();
  for (const f of fair) {
    let enabledIn = 0;
    let taken = false;
    for (const s of c) {
      let enabled = false;
      for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) {
        if (edges.actions[e] !== f.action) continue;
        enabled = true;
        if (inSet[edges.targets[e]!]) taken = true;
      }
      if (enabled) enabledIn++;
    }
    if (taken) continue;
    if (f.kind === 'weak' && enabledIn === c.length) return 'unfair';
    if (f.kind === 'strong' && enabledIn > 0) badStrong.add(f.action);
  }
  return badStrong.size === 0 ? 'fair' : badStrong;
}

function enablesAny(edges: EdgeStore, s: number, actions: Set<number>): boolean {
  for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) if (actions.has(edges.actions[e]!)) return true;
  return false;
}

function enables(edges: EdgeStore, s: number, action: number): boolean {
  for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) if (edges.actions[e] === action) return true;
  return false;
}

/** A cycle from `entry` back to itself inside the component, through one internal edge of
 * every fair action enabled in it (or, for a weakly fair action never taken, a state where it
 * is disabled). Empty when the component is a final state that stutters. */
function cycleThrough(edges: EdgeStore, n: number, component: number[], entry: number, fair: readonly FairAction[]): Hop[] {
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

function findEdge(edges: EdgeStore, component: number[], inSet: Uint8Array, action: number) {
  for (const s of component) {
    for (let e = edges.start[s]!; e < edges.start[s + 1]!; e++) {
      if (edges.actions[e] === action && inSet[edges.targets[e]!]) return { from: s, to: edges.targets[e]! };
    }
  }
  return undefined;
}

/** Shortest path inside `inSet` from `from` to the first state satisfying `target` (zero hops
 * when `from` already does). */
function shortestPath(edges: EdgeStore, inSet: Uint8Array, from: number, target: (s: number) => boolean): Hop[] {
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
        for (let at = w; at !== from; at = parent.get(at)!.prev) hops.push({ action: parent.get(at)!.action, to: at });
        return hops.reverse();
      }
      queue.push(w);
    }
  }
  return [];
}
