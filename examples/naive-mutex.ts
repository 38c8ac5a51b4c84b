import { defineModel, type Action } from '../src/engine/index.js';

/** A lock taken with a non-atomic test-then-set. Variables: pc0, pc1, lock.
 * pc: 0 idle, 1 saw the lock free, 2 critical. Mutual exclusion fails. */
const labels = ['idle', 'saw-free', 'critical'];

export default defineModel({
  name: 'naive-mutex',
  doc: 'Test-then-set without atomicity: both processes can enter the critical section.',
  build() {
    const actions: Action[] = [0, 1].flatMap((i): Action[] => [
      {
        name: 'test lock',
        process: `p${i}`,
        next: (s, out) => void (s[i] === 0 && s[2] === 0 && (out.next()[i] = 1)),
      },
      {
        name: 'set lock',
        process: `p${i}`,
        next(s, out) {
          if (s[i] !== 1) return;
          const t = out.next();
          t[2] = 1;
          t[i] = 2;
        },
      },
      {
        name: 'unlock',
        process: `p${i}`,
        next(s, out) {
          if (s[i] !== 2) return;
          const t = out.next();
          t[2] = 0;
          t[i] = 0;
        },
      },
    ]);
    return {
      stateSize: 3,
      initial: () => [new Uint8Array(3)],
      actions,
      invariants: [
        {
          name: 'mutual-exclusion',
          doc: 'Both processes are in the critical section at once.',
          check: (s) => !(s[0] === 2 && s[1] === 2),
        },
      ],
      view: (s) => ({ p0: labels[s[0]!], p1: labels[s[1]!], lock: s[2] }),
    };
  },
});
