import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { septcheck } from './run.js';

const hanoi3 = async () => (await resolveTarget({ model: 'hanoi', params: { disks: '3' } })).model;

describe('check --coverage', () => {
  it('counts exactly on hanoi: every move fires (3^n - 1) / 2 times, and the moves find the 3^n - 1 states past the first', async () => {
    const c = check(await hanoi3(), { coverage: true }).coverage!;
    expect(c.actions.map((a) => [a.label, a.fired])).toEqual(
      ['0->1', '0->2', '1->0', '1->2', '2->0', '2->1'].map((m) => [`move ${m}`, 13]),
    );
    expect(c.actions.reduce((n, a) => n + a.newStates, 0)).toBe(26);
    expect(c.neverEnabled).toEqual([]);
  });

  it('on a scenario adds up to the check, and names the steps the scenario never takes', () => {
    const r = JSON.parse(septcheck('check', '--scenario', 'basic', '--coverage', '--json').stdout);
    const sum = (f: 'fired' | 'newStates') =>
      r.coverage.actions.reduce((n: number, a: Record<string, number>) => n + a[f]!, 0);
    expect(sum('fired')).toBe(r.transitions);
    expect(sum('newStates')).toBe(r.distinctStates - 1); // all but the initial state
    expect(r.coverage.neverEnabled).toEqual([
      'guest write (retried after the fault)@vcpu0',
      'kvm_gmem_convert_range@vmm #1',
      'pin_user_pages@vmm',
      'kvm_gmem_convert_range@vmm #2',
      'kvm_gmem_error_folio@vmm',
      'tdh_do_no_vcpus@vmm #1',
      'tdh_do_no_vcpus@vmm #2',
      'tdh_do_no_vcpus@vmm #3',
    ]);
    const text = septcheck('check', '--scenario', 'basic', '--coverage').stdout;
    expect(text).toContain(
      '\nprocess  action                                         fired  new states',
    );
    expect(text).toMatch(/\nhost +alloc_pages #1 +636 +318 +\d+\.\d\n/);
    expect(text).toContain(
      '\nnever enabled in this run (8): guest write (retried after the fault)@vcpu0, kvm_gmem_convert_range@vmm #1,',
    );
  });

  it('is off by default: nothing counted, no coverage in the report', async () => {
    expect(check(await hanoi3())).not.toHaveProperty('coverage');
    expect(septcheck('check', 'hanoi', '--param', 'disks=3').stdout).not.toContain('coverage');
  });
});
