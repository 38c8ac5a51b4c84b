/**
 * The frame behind a GFN. Minimal version (issue 17, S-EPT levels helper): GFN g is backed by
 * frame g, as everywhere else in the model (README, simplifications); the frames/folios helper
 * replaces it with the folio's frame block. Every new lookup of a GFN's frame goes through here.
 */
import type { State } from '../engine/index.js';
import type { Vars } from './vars.js';

export function frameOf(_v: Vars, _s: State, gfn: number): number {
  return gfn;
}
