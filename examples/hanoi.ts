import { defineModel, type Action } from '../src/engine/index.js';

/** Towers of Hanoi: variable d is the peg (0..2) disk d sits on; disk 0 is the smallest.
 * Every assignment of disks to pegs is reachable, so there are exactly 3^disks states. */
export default defineModel({
  name: 'hanoi',
  doc: 'Towers of Hanoi: all 3^disks placements are reachable.',
  params: { disks: { default: 10, min: 1, max: 16, doc: 'number of disks' } },
  build({ disks }) {
    const n = disks!;
    const actions: Action[] = [];
    for (let from = 0; from < 3; from++) {
      for (let to = 0; to < 3; to++) {
        if (from === to) continue;
        actions.push({
          name: `move ${from}->${to}`,
          next(s, out) {
            // The top disk of a peg is the smallest disk on it.
            let top = 0;
            while (top < n && s[top] !== from) top++;
            if (top === n) return;
            for (let d = 0; d < top; d++) if (s[d] === to) return;
            out.next()[top] = to;
          },
        });
      }
    }
    return {
      stateSize: n,
      initial: () => [new Uint8Array(n)],
      actions,
      isFinal: () => false,
      view: (s) => ({
        pegs: [0, 1, 2].map((p) =>
          Array.from(s.keys())
            .filter((d) => s[d] === p)
            .reverse()
            .join(' '),
        ),
      }),
    };
  },
});
