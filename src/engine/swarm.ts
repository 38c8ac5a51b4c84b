import { fingerprint, fp } from './fingerprint.js';
import type { Model } from './model.js';
import { random } from './simulate.js';
import { Expander } from './successors.js';
import { step, type Counterexample } from './trace.js';
import { VisitedSet } from './visited.js';
import { strideOf } from './store.js';

export interface SwarmOptions {
  /** this shard's seed: it decides the order the search tries successors in */
  readonly seed: number;
  /** stop after this many distinct states (result `incomplete` if more were left) */
  readonly maxStates: number;
  /** do not go deeper than this many steps */
  readonly maxDepth: number;
}

export interface SwarmResult {
  readonly result: 'ok' | 'violation' | 'incomplete';
  readonly distinctStates: number;
  readonly transitions: number;
  readonly maxDepthReached: number;
  readonly seconds: number;
  readonly violation?: Counterexample;
}

/**
 * One member of a swarm (swarm verification, as SPIN's swarm does it): a depth-first search
 * bounded in states and depth that tries successors in an order its seed shuffles, so that
 * differently seeded members cover different parts of a state space too large for one search.
 * It checks the safety invariants (findings too) and deadlocks; its counterexample is the DFS
 * path, not necessarily a shortest one.
 */
export function swarmSearch(model: Model, options: SwarmOptions): SwarmResult {
  const started = performance.now();
  const rand = random(options.seed);
  const stride = strideOf(model.stateSize);
  const words = stride >> 2;
  const visited = new VisitedSet(1 << 16, { kind: 'plain' });
  const expander = new Expander(model);
  const deadlock = model.deadlock ?? true;
  let transitions = 0;
  let maxDepthReached = 0;
  let distinct = 0;
  let truncated = false;

  interface Frame {
    readonly state: Uint8Array;
    readonly via: number;
    readonly next: { state: Uint8Array; via: number }[];
  }
  const violationAt = (
    stack: Frame[],
    kind: string,
    property: string,
    doc: string,
  ): SwarmResult => ({
    result: 'violation',
    distinctStates: distinct,
    transitions,
    maxDepthReached,
    seconds: (performance.now() - started) / 1000,
    violation: {
      kind,
      property,
      doc,
      trace: stack.map((f) => step(model.actions, f.via, f.state.slice(0, model.stateSize))),
    },
  });
  const successors = (s: Uint8Array) => {
    const out = expander.of(s.subarray(0, model.stateSize)).map(({ action, next }) => {
      const state = new Uint8Array(stride);
      state.set(next);
      return { state, via: action };
    });
    // Fisher-Yates with the shard's seed: the order this member explores in.
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const isNew = (s: Uint8Array) => {
    fingerprint(new Int32Array(s.buffer, s.byteOffset, words), 0, words);
    if (visited.findOrInsert(fp[0]!, fp[1]!, distinct) >= 0) return false;
    distinct++;
    return true;
  };

  for (const init of model.initial()) {
    const s = new Uint8Array(stride);
    s.set(init);
    if (!isNew(s)) continue;
    const stack: Frame[] = [];
    let pending: { state: Uint8Array; via: number } | undefined = { state: s, via: -1 };
    while (pending || stack.length > 0) {
      if (pending) {
        const view = pending.state.subarray(0, model.stateSize);
        const frame: Frame = { state: pending.state, via: pending.via, next: [] };
        stack.push(frame);
        pending = undefined;
        maxDepthReached = Math.max(maxDepthReached, stack.length - 1);
        const bad = (model.invariants ?? []).find((inv) => !inv.check(view));
        if (bad)
          return violationAt(
            stack,
            bad.severity === 'finding' ? (bad.findingKind ?? 'finding') : 'invariant',
            bad.name,
            bad.doc,
          );
        if (model.constraint && !model.constraint(view)) continue;
        const next = successors(frame.state);
        transitions += next.length;
        if (next.length === 0 && deadlock && !model.isFinal?.(view))
          return violationAt(
            stack,
            'deadlock',
            'deadlock',
            'A state with no successors that the model does not call final.',
          );
        if (stack.length - 1 >= options.maxDepth) {
          if (next.length > 0) truncated = true;
          continue;
        }
        frame.next.push(...next);
      }
      const top = stack[stack.length - 1]!;
      let chosen: { state: Uint8Array; via: number } | undefined;
      while (top.next.length > 0 && !chosen) {
        const candidate = top.next.pop()!;
        if (distinct >= options.maxStates) {
          truncated = true;
          top.next.length = 0;
          break;
        }
        if (isNew(candidate.state)) chosen = candidate;
      }
      if (chosen) pending = chosen;
      else stack.pop();
    }
  }
  return {
    result: truncated ? 'incomplete' : 'ok',
    distinctStates: distinct,
    transitions,
    maxDepthReached,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The seed of shard `i` of a swarm started with `base`. */
export function shardSeed(base: number, i: number): number {
  return (Math.imul(base ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}
