import { describe, expect, it } from 'vitest';
import { parseScript, runScript } from '../../src/script/index.js';

/** Each step's outcome line, as `septcheck run` prints it, for a script of a 2-page TD. */
function outcomes(steps: string): string[] {
  const text = `name: contract\nvm: { type: tdx, pages: 2 }\nsteps:\n${steps}`;
  return runScript(parseScript(text, 'contract.yaml'), 'contract.yaml').steps.map(
    (s) => `${s.do}: ${s.outcome}`,
  );
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

describe('septcheck run follows KVM ioctl contracts (item 9)', () => {
  it('KVM_TDX_INIT_MEM_REGION after finalize: -EINVAL, no SEAMCALL (tdx_vcpu_init_mem_region)', () => {
    expect(outcomes(`  - { do: finalize }\n  - { do: init_mem_region, gfn: 0 }\n`)).toEqual([
      'finalize: returns 0, TDX_SUCCESS',
      'init_mem_region: -EINVAL',
    ]);
  });

  it('a second KVM_TDX_FINALIZE_VM: -EINVAL before any SEAMCALL (tdx_td_finalize)', () => {
    expect(outcomes(`  - { do: finalize }\n  - { do: finalize }\n`)).toEqual([
      'finalize: returns 0, TDX_SUCCESS',
      'finalize: -EINVAL',
    ]);
  });

  it('KVM_TDX_INIT_MEM_REGION of the same GFN twice: 0, then -EEXIST (kvm_gmem_populate)', () => {
    expect(
      outcomes(
        `  - { do: init_mem_region, gfn: 0 }\n  - { do: init_mem_region, gfn: 0 }\n  - { do: finalize }\n`,
      ),
    ).toEqual([
      'init_mem_region: returns 0, TDX_SUCCESS',
      'init_mem_region: -EEXIST',
      'finalize: returns 0, TDX_SUCCESS',
    ]);
  });

  it('after teardown every VM operation fails with -EBADF (the fds are closed)', () => {
    expect(
      outcomes(`  - { do: finalize }
  - { do: teardown }
  - { do: punch_hole, gfns: [0] }
  - { do: run, guest: [ { accept: 0 } ] }
  - { do: finalize }
  - { do: check, expect: { facts: { "td TDR": reclaimed } } }
`),
    ).toEqual([
      'finalize: returns 0, TDX_SUCCESS',
      'teardown: returns 0, TDX_SUCCESS',
      'punch_hole: -EBADF',
      'run: -EBADF',
      'finalize: -EBADF',
      'check: done',
    ]);
  });

  it('a guest write after a punch hole, without ACCEPT: the unexpected-pending EPT violation, VM dead, KVM_RUN -EIO', () => {
    const text = `name: c\nvm: { type: tdx, pages: 2 }\nsteps:
  - { do: finalize }
  - { do: run, guest: [ { accept: 1 }, { write: 1 } ] }
  - { do: punch_hole, gfns: [1] }
  - do: run
    guest: [ { write: 1 } ]
    expect: { exit: EIO, errno: EIO, gpa: 4096, facts: { "kvm VM": "BUGGED (dead)", "gfn 1 S-EPT": PENDING } }
`;
    const report = runScript(parseScript(text, 'c.yaml'), 'c.yaml');
    expect(report.steps.map((s) => s.outcome)).toEqual([
      'returns 0, TDX_SUCCESS',
      'exit done, TDX_SUCCESS',
      'returns 0, TDX_SUCCESS',
      'exit EIO gpa=0x1000 (-EIO)',
    ]);
    expect(report.steps[3]!.checks.filter((c) => !c.pass)).toEqual([]);
  });
});
