import { defineModel, type Action, type State } from '../src/engine/index.js';

/** Peterson's two-process mutual exclusion. Variables: pc0, pc1, flag0, flag1, turn.
 * pc: 0 idle, 1 wants (about to raise its flag), 2 flag raised, 3 waiting, 4 critical. */
const PC = [0, 1];
const FLAG = [2, 3];
const TURN = 4;
const labels = ['idle', 'wants', 'flagged', 'waiting', 'critical'];

export default defineModel({
  name: 'peterson',
  doc: "Peterson's algorithm: mutual exclusion, and each process that wants in gets in under weak fairness.",
  build() {
    const actions: Action[] = [];
    for (const i of [0, 1]) {
      const j = 1 - i;
      const p = `p${i}`;
      // The footprint (for --por): its program counter, and what the step reads and writes.
      const at = (
        pc: number,
        name: string,
        effect: (t: State) => void,
        uses: number[],
        guard = (_: State) => true,
        fair = true,
      ): Action => ({
        name,
        process: p,
        reads: [PC[i]!, ...uses],
        writes: [
          PC[i]!,
          ...uses.filter((v) => v === FLAG[i] || (v === TURN && name === 'give turn')),
        ],
        // Staying idle forever is allowed, so leaving idle is not fair; every other step is.
        ...(fair ? { fairness: 'weak' as const } : {}),
        next(s, out) {
          if (s[PC[i]!] === pc && guard(s)) effect(out.next());
        },
      });
      actions.push(
        at(0, 'want', (t) => void (t[PC[i]!] = 1), [], undefined, false),
        at(1, 'raise flag', (t) => void ((t[FLAG[i]!] = 1), (t[PC[i]!] = 2)), [FLAG[i]!]),
        at(2, 'give turn', (t) => void ((t[TURN] = j), (t[PC[i]!] = 3)), [TURN]),
        at(
          3,
          'enter',
          (t) => void (t[PC[i]!] = 4),
          [FLAG[j]!, TURN],
          (s) => s[FLAG[j]!] === 0 || s[TURN] === i,
        ),
        at(4, 'leave', (t) => void ((t[FLAG[i]!] = 0), (t[PC[i]!] = 0)), [FLAG[i]!]),
      );
    }
    return {
      stateSize: 5,
      initial: () => [new Uint8Array(5)],
      actions,
      invariants: [
        {
          name: 'mutual-exclusion',
          doc: 'Both processes are in the critical section at once.',
          check: (s) => !(s[0] === 4 && s[1] === 4),
          reads: PC,
        },
      ],
      liveness: [0, 1].map((i) => ({
        name: `p${i}-enters`,
        doc: `Process p${i} wants the critical section and never gets it.`,
        kind: 'leadsTo' as const,
        p: (s: State) => s[PC[i]!] === 1,
        q: (s: State) => s[PC[i]!] === 4,
      })),
      view: (s) => ({ p0: labels[s[0]!], p1: labels[s[1]!], flag0: s[2], flag1: s[3], turn: s[4] }),
    };
  },
});
