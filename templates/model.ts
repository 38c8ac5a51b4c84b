/**
 * {{name}}: a model for septcheck, made by `septcheck new model`. Check it with
 *
 *   septcheck check {{file}}                      # passes: the increments hold a lock
 *   septcheck check {{file}} --param locked=0     # a lost update, and its shortest trace
 *
 * A state is a fixed-length vector of small integers (0..255), one byte per variable. Actions
 * write every successor of a state into the buffer the checker gives them.
 */
import type { ModelDefinition, State } from 'septcheck'; // types only: nothing is loaded at run time

// The variables, by index in the state vector.
const COUNTER = 0; // the shared counter
const LOCK = 1; // 0 free, else 1 + the process holding it
const PC = 2; // each process's program counter, from here on: PC + p
const SAW = 4; // the value each process read, from here on: SAW + p

// A process's program counter: before its read, between read and write, done.
const START = 0;
const READ = 1;
const DONE = 2;

const model: ModelDefinition = {
  name: '{{name}}',
  doc: 'Two processes each add one to a shared counter: a read, then a write.',
  params: {
    locked: { default: 1, min: 0, max: 1, doc: '1: each read-and-write holds a lock; 0: it does not' },
  },
  build: ({ locked }) => ({
    stateSize: 6,
    initial: () => [new Uint8Array(6)],
    actions: [0, 1].flatMap((p) => [
      {
        name: 'read counter',
        process: `p${p}`,
        fairness: 'weak' as const, // a process that can go on eventually does
        guard: [[PC + p, START]] as const, // the checker calls next only at this label
        next(s: State, out) {
          if (locked && s[LOCK] !== 0) return; // wait for the lock
          const t = out.next(); // a copy of s to change: one successor
          if (locked) t[LOCK] = 1 + p;
          t[SAW + p] = s[COUNTER]!;
          t[PC + p] = READ;
        },
      },
      {
        name: 'write counter',
        process: `p${p}`,
        fairness: 'weak' as const,
        guard: [[PC + p, READ]] as const,
        next(s: State, out) {
          const t = out.next();
          t[COUNTER] = s[SAW + p]! + 1;
          if (locked) t[LOCK] = 0;
          t[PC + p] = DONE;
        },
      },
    ]),
    invariants: [
      {
        name: 'no-lost-update',
        doc: 'Both processes are done but the counter is not 2: one increment overwrote the other.',
        check: (s: State) => !(s[PC] === DONE && s[PC + 1] === DONE) || s[COUNTER] === 2,
      },
    ],
    liveness: [
      { name: 'both-finish', doc: 'A process never finishes.', kind: 'eventually', p: (s: State) => s[PC] === DONE && s[PC + 1] === DONE },
    ],
    // Both done is where the model is meant to stop, not a deadlock.
    isFinal: (s: State) => s[PC] === DONE && s[PC + 1] === DONE,
    // How a state reads in traces and in --json.
    view: (s: State) => ({
      counter: s[COUNTER],
      lock: s[LOCK] ? `p${s[LOCK]! - 1}` : 'free',
      p0: ['start', `read ${s[SAW]}`, 'done'][s[PC]!],
      p1: ['start', `read ${s[SAW + 1]}`, 'done'][s[PC + 1]!],
    }),
  }),
};
export default model;
