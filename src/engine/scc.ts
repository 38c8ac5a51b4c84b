import type { EdgeStore } from './store.js';

/**
 * Strongly connected components of subgraphs of the explored graph (iterative Tarjan, so deep
 * graphs do not overflow the stack). The scratch arrays are allocated once per graph and reset
 * only where a call went: the liveness check decomposes many small subgraphs (every property,
 * and every component the strong-fairness refinement splits again), and arrays of the whole
 * graph's size per call made that quadratic. Indices keep growing from call to call, so a
 * state is new to a call when its index is below the call's first.
 */
export class Tarjan {
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly stack: Int32Array;
  private readonly callState: Int32Array;
  private readonly callEdge: Int32Array;
  private readonly out: Int32Array;
  private counter = 0;

  constructor(
    private readonly edges: EdgeStore,
    n: number,
  ) {
    this.index = new Int32Array(n);
    this.low = new Int32Array(n);
    this.onStack = new Uint8Array(n);
    this.stack = new Int32Array(n);
    this.callState = new Int32Array(n);
    this.callEdge = new Int32Array(n);
    this.out = new Int32Array(n);
  }

  /**
   * Calls `found` with each component of the subgraph of the states s with `member[s] === is`
   * reachable from `roots`, in reverse topological order, its states in the order Tarjan pops
   * them. The array passed is reused: copy what you keep.
   */
  run(
    member: Int32Array | Uint8Array,
    is: number,
    roots: ArrayLike<number>,
    found: (component: Int32Array) => void,
  ): void {
    const { index, low, onStack, stack, callState, callEdge, out } = this;
    const { start, targets } = this.edges;
    if (this.counter > 2 ** 30) {
      index.fill(0);
      this.counter = 0;
    }
    const first = ++this.counter;
    let counter = first;
    let sp = 0;
    let depth = 0;
    for (let r = 0; r < roots.length; r++) {
      const root = roots[r]!;
      if (member[root] !== is || index[root]! >= first) continue;
      callState[0] = root;
      callEdge[0] = start[root]!;
      depth = 1;
      index[root] = low[root] = counter++;
      stack[sp++] = root;
      onStack[root] = 1;
      while (depth > 0) {
        const v = callState[depth - 1]!;
        const e = callEdge[depth - 1]!;
        if (e < start[v + 1]!) {
          callEdge[depth - 1] = e + 1;
          const w = targets[e]!;
          if (member[w] !== is) continue;
          if (index[w]! < first) {
            index[w] = low[w] = counter++;
            stack[sp++] = w;
            onStack[w] = 1;
            callState[depth] = w;
            callEdge[depth++] = start[w]!;
          } else if (onStack[w] && index[w]! < low[v]!) {
            low[v] = index[w]!;
          }
          continue;
        }
        depth--;
        if (depth > 0) {
          const parent = callState[depth - 1]!;
          if (low[v]! < low[parent]!) low[parent] = low[v]!;
        }
        if (low[v] === index[v]) {
          let k = 0;
          let w: number;
          do {
            w = stack[--sp]!;
            onStack[w] = 0;
            out[k++] = w;
          } while (w !== v);
          found(out.subarray(0, k));
        }
      }
    }
    this.counter = counter;
  }
}
