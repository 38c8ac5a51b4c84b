import type { Action, State } from './model.js';

/**
 * The actions' `guard` preconditions compiled to bit sets, so the search learns which actions
 * may be enabled in a state from one table read per guarded variable, as SPIN's transition
 * table gives the statements of a process at its program counter. For each guarded variable
 * and each of its 256 values, a mask of the actions that value allows (an action with no
 * condition on the variable is allowed by every value); the AND of a state's masks is the set
 * of actions whose `next` is worth calling. Bits are visited in order, so actions run in the
 * model's order and the search stays deterministic.
 */
export class ActionGuards {
  /** 32-bit words per action set */
  readonly words: number;
  /** the guarded variables */
  readonly variables: Int32Array;
  /** masks[((i * 256) + value) * words + w]: the actions variable i's value allows */
  readonly masks: Int32Array;

  constructor(actions: readonly Action[]) {
    const words = (this.words = Math.max(1, Math.ceil(actions.length / 32)));
    const vars = [...new Set(actions.flatMap((a) => (a.guard ?? []).map(([v]) => v)))].sort(
      (x, y) => x - y,
    );
    this.variables = Int32Array.from(vars);
    this.masks = new Int32Array(vars.length * 256 * words).fill(-1);
    const index = new Map(vars.map((v, i) => [v, i]));
    actions.forEach((a, k) => {
      for (const [variable, want] of a.guard ?? []) {
        // Every other value of the variable rules the action out.
        const base = index.get(variable)! * 256;
        for (let value = 0; value < 256; value++)
          if (value !== want) this.masks[(base + value) * words + (k >> 5)]! &= ~(1 << (k & 31));
      }
    });
  }

  /** Writes into `out` (`words` long) the set of actions `s` may enable. */
  candidates(s: State, out: Int32Array): void {
    const { words, variables, masks } = this;
    const stride = 256 * words;
    if (words > 3) {
      for (let w = 0; w < words; w++) out[w] = -1;
      for (let i = 0, base = 0; i < variables.length; i++, base += stride) {
        const at = base + s[variables[i]!]! * words;
        for (let w = 0; w < words; w++) out[w]! &= masks[at + w]!;
      }
      return;
    }
    // Up to 96 actions (the usual case), the sets are kept in locals.
    let m0 = -1;
    let m1 = -1;
    let m2 = -1;
    for (let i = 0, base = 0; i < variables.length; i++, base += stride) {
      const at = base + s[variables[i]!]! * words;
      m0 &= masks[at]!;
      if (words > 1) m1 &= masks[at + 1]!;
      if (words > 2) m2 &= masks[at + 2]!;
    }
    out[0] = m0;
    if (words > 1) out[1] = m1;
    if (words > 2) out[2] = m2;
  }

  /** May action `a` be enabled in `s`? (Off the hot path.) */
  allows(a: number, s: State): boolean {
    const { words, variables, masks } = this;
    for (let i = 0; i < variables.length; i++) {
      if (!(masks[(i * 256 + s[variables[i]!]!) * words + (a >> 5)]! & (1 << (a & 31))))
        return false;
    }
    return true;
  }
}
