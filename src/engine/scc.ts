import type { EdgeStore } from './store.js';

/**
 * Strongly connected components of the subgraph induced by `members` (iterative Tarjan, so
 * deep graphs do not overflow the stack). Components come out in reverse topological order.
 */
export function stronglyConnected(edges: EdgeStore, n: number, members: Uint8Array, roots: Iterable<number>): number[][] {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const callState: number[] = [];
  const callEdge: number[] = [];
  const out: number[][] = [];
  const { start, targets } = edges;
  let counter = 0;

  for (const root of roots) {
    if (!members[root] || index[root] !== -1) continue;
    callState.push(root);
    callEdge.push(start[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callState.length > 0) {
      const v = callState[callState.length - 1]!;
      const e = callEdge[callEdge.length - 1]!;
      if (e < start[v + 1]!) {
        callEdge[callEdge.length - 1] = e + 1;
        const w = targets[e]!;
        if (!members[w]) continue;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callState.push(w);
          callEdge.push(start[w]!);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      callState.pop();
      callEdge.pop();
      if (callState.length > 0) {
        const parent = callState[callState.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        out.push(component);
      }
    }
  }
  return out;
}
