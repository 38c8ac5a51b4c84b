import { defineModel, type Action } from '../src/engine/index.js';

/** n interchangeable processes, each counting modulo k on its own: exactly k^n states, and, with
 * symmetry reduction (the counters sorted), one per multiset: C(n + k - 1, n). */
export default defineModel({
  name: 'counters',
  doc: 'n identical modulo-k counters: k^n states, C(n+k-1, n) up to symmetry.',
  params: {
    n: { default: 3, min: 1, max: 10, doc: 'number of processes' },
    k: { default: 3, min: 1, max: 20, doc: 'each counts modulo k' },
  },
  build({ n: count, k: modulo }) {
    const n = count!;
    const k = modulo!;
    const actions: Action[] = Array.from({ length: n }, (_, i) => ({
      name: 'count',
      process: `p${i}`,
      reads: [i],
      writes: [i],
      next: (s, out) => void (k > 1 && (out.next()[i] = (s[i]! + 1) % k)),
    }));
    return {
      stateSize: n,
      initial: () => [new Uint8Array(n)],
      actions,
      isFinal: () => true,
      // The processes are interchangeable: a state's representative has its counters sorted.
      canonical: (s) => void s.sort(),
    };
  },
});
