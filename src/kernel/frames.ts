/**
 * The frame behind a GFN. Identity until frames come in blocks apart from GFNs (issue 17's
 * frames/folios work owns this file): every new lookup goes through `frameOf`.
 */
import type { State } from '../engine/index.js';
import type { Vars } from './vars.js';

export function frameOf(_v: Vars, _s: State, gfn: number): number {
  return gfn;
}
