import { defineModel, type Action } from '../src/engine/index.js';

/** The 8-puzzle: variable i is the tile at square i (row-major, 0 = the blank). Half of the
 * 9! boards are reachable from the solved one: exactly 181,440 states. */
const moves: Array<[string, number, number]> = [
  ['blank up', -1, -3],
  ['blank down', -1, 3],
  ['blank left', -1, -1],
  ['blank right', 1, 1],
];

export default defineModel({
  name: 'puzzle8',
  doc: 'The 8-puzzle from the solved board: 181,440 reachable boards.',
  build() {
    const actions: Action[] = moves.map(([name, , delta]) => ({
      name,
      next(s, out) {
        let blank = 0;
        while (s[blank] !== 0) blank++;
        const col = blank % 3;
        if ((delta === -1 && col === 0) || (delta === 1 && col === 2)) return;
        const to = blank + delta;
        if (to < 0 || to > 8) return;
        const t = out.next();
        t[blank] = s[to]!;
        t[to] = 0;
      },
    }));
    return {
      stateSize: 9,
      initial: () => [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0)],
      actions,
      isFinal: () => false,
      view: (s) => ({
        board: [0, 3, 6].map((r) =>
          Array.from(s.subarray(r, r + 3))
            .join(' ')
            .replace('0', '_'),
        ),
      }),
    };
  },
});
