import { inModel } from './errors.js';
import type { Model, State } from './model.js';
import { Expander } from './successors.js';
import { actionLabel } from './trace.js';

export interface GraphNode {
  readonly state: State;
  readonly initial: boolean;
  /** the safety invariants (findings included) the state breaks */
  readonly broken: string[];
  /** false for a state at the bound: some of its successors are not in the picture */
  expanded: boolean;
}

export interface StateGraph {
  readonly nodes: GraphNode[];
  /** [from, to, action label] by node index */
  readonly edges: [number, number, string][];
  /** true when the bound stopped the exploration before every reachable state was found */
  readonly truncated: boolean;
}

/**
 * The reachable state graph, breadth-first, for drawing: at most `maxStates` states, every edge
 * between them labelled with its action. Violating states are marked and still expanded (the
 * picture shows where the run would go on). Not the checker's search: it keeps every state as
 * an object, so it is for small models and bounds.
 */
export function stateGraph(model: Model, maxStates: number): StateGraph {
  const expander = new Expander(model);
  const ids = new Map<string, number>();
  const nodes: GraphNode[] = [];
  const edges: [number, number, string][] = [];
  const labels = model.actions.map(actionLabel);
  let truncated = false;
  const add = (s: State, initial: boolean): number => {
    const key = s.join(',');
    const known = ids.get(key);
    if (known !== undefined) return known;
    if (nodes.length >= maxStates) {
      truncated = true;
      return -1;
    }
    ids.set(key, nodes.length);
    const broken = (model.invariants ?? [])
      .filter((inv) => !inModel(`invariant "${inv.name}"`, () => inv.check(s)))
      .map((inv) => inv.name);
    nodes.push({ state: s, initial, broken, expanded: true });
    return nodes.length - 1;
  };
  for (const s of inModel('initial()', () => model.initial())) add(s, true);
  // Every state found is expanded (at most maxStates of them): edges between states in the
  // picture are all drawn; a successor past the bound leaves its state marked not expanded.
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (model.constraint && !model.constraint(node.state)) continue;
    let complete = true;
    for (const { action, next } of expander.of(node.state)) {
      const to = add(next, false);
      if (to < 0) complete = false;
      else edges.push([i, to, labels[action]!]);
    }
    node.expanded = complete;
  }
  return { nodes, edges, truncated };
}
