import { describe, expect, it } from 'vitest';
import { parseScript, runScript } from '../../src/script/index.js';

/** Each step's outcome line, as `septcheck run` prints it, for a script of a 2-page TD. */
function outcomes(steps: string): string[] {
  const text = `name: contract\nvm: { type: tdx, pages: 2 }\nsteps:\n${steps}`;
  return runScript(parseScript(text, 'contract.yaml'), 'contract.yaml').steps.map((s) => `${s.do}: ${s.outcome}`);
}

describe('septcheck run: the TDX module answers as it does (item 8)', () => {
  it('a second TDG.MEM.PAGE.ACCEPT of a MAPPED page is TDX_PAGE_ALREADY_ACCEPTED, and the guest goes on', () => {
    expect(
      outcomes(`  - { do: finalize }
  - { do: run, guest: [ { accept: 1 }, { write: 1 } ] }
  - { do: run, guest: [ { accept: 1 }, { write: 1 } ] }
`),
    ).toEqual([
      'finalize: returns 0, TDX_SUCCESS',
      'run: exit done, TDX_SUCCESS',
      'run: exit done, TDX_PAGE_ALREADY_ACCEPTED',
    ]);
  });
});
