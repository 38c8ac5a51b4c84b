import { defineModel, type Action } from '../src/engine/index.js';

/** Dining philosophers, each taking the left fork first. Variables: pc of each philosopher
 * (0 thinking, 1 holds left fork, 2 eating), then fork i = 1 + its holder, or 0 when free. */
export default defineModel({
  name: 'philosophers',
  doc: 'Every philosopher takes the left fork first: all can hold one fork and wait forever.',
  params: { n: { default: 5, min: 2, max: 12, doc: 'number of philosophers' } },
  build({ n: count }) {
    const n = count!;
    const fork = (i: number) => n + (i % n);
    const actions: Action[] = [];
    for (let i = 0; i < n; i++) {
      const process = `phil${i}`;
      actions.push(
        {
          name: 'take left',
          process,
          reads: [i, fork(i)],
          writes: [i, fork(i)],
          next(s, out) {
            if (s[i] !== 0 || s[fork(i)] !== 0) return;
            const t = out.next();
            t[fork(i)] = i + 1;
            t[i] = 1;
          },
        },
        {
          name: 'take right',
          process,
          reads: [i, fork(i + 1)],
          writes: [i, fork(i + 1)],
          next(s, out) {
            if (s[i] !== 1 || s[fork(i + 1)] !== 0) return;
            const t = out.next();
            t[fork(i + 1)] = i + 1;
            t[i] = 2;
          },
        },
        {
          name: 'put forks',
          process,
          reads: [i, fork(i), fork(i + 1)],
          writes: [i, fork(i), fork(i + 1)],
          next(s, out) {
            if (s[i] !== 2) return;
            const t = out.next();
            t[fork(i)] = 0;
            t[fork(i + 1)] = 0;
            t[i] = 0;
          },
        },
      );
    }
    return {
      stateSize: 2 * n,
      initial: () => [new Uint8Array(2 * n)],
      actions,
      view: (s) => ({
        philosophers: Array.from(s.subarray(0, n), (pc) => ['thinking', 'left', 'eating'][pc]).join(
          ' ',
        ),
        forks: Array.from(s.subarray(n), (h) => (h ? `phil${h - 1}` : '-')).join(' '),
      }),
    };
  },
});
