import { describe, expect, it } from 'vitest';
import type { Model } from '../../src/engine/index.js';
import type { TraceStep } from '../../src/engine/trace.js';
import { steps, run } from './helpers.js';

/** The call text of trace step i (what the trace prints under it). */
const callOf = (model: Model, trace: TraceStep[], i: number) =>
  model.actions[trace[i]!.actionIndex]!.explain!(trace[i - 1]!.state, trace[i]!.state);

/** A failed TDH.PHYMEM.PAGE.WBINVD (fault kind wbinvd-fails): the page is neither written back
 * nor cleared, KVM_BUG_ON fires, and the policy decides whether the frame is reused. */
describe('a failed WBINVD', () => {
  it('nopin (series-v3): guest_memfd frees the page with the TD dirty lines and the host reuses it', () => {
    const { model, result } = run({ scenario: 'basic', policy: 'nopin', faults: 'wbinvd-fails=1' });
    expect(result).toMatchObject({ result: 'violation', distinctStates: 252 });
    const v = result.violation!;
    expect(v.property).toBe('flush-and-clear-before-reuse');
    expect(v.trace).toHaveLength(15);
    expect(steps(v.trace).slice(10)).toEqual([
      'vmm:tdx_sept_remove_private_spte', // REMOVE
      'vmm:tdx_sept_remove_private_spte', // WBINVD
      'vmm:KVM_MMU_UNLOCK (write)',
      'vmm:truncate_inode_pages_range',
      'host:alloc_pages',
    ]);
    expect(callOf(model, v.trace, 11)).toBe(
      'TDH.PHYMEM.PAGE.WBINVD pa=0x0 (HKID) -> TDX_PAGE_METADATA_INCORRECT+RCX (0xC000030000000001); KVM_BUG_ON: VM dead, vCPUs kicked; page not cleared; last leaf',
    );
  });

  it('pin (v6.17): no clear, no unpin: the frame leaks pinned, the TDR is still reclaimed', () => {
    const { model, result } = run({ scenario: 'basic', policy: 'pin', faults: 'wbinvd-fails=1' });
    expect(result).toMatchObject({ result: 'ok', distinctStates: 2541 });
    const leak = result.findings[0]!;
    expect(leak).toMatchObject({ kind: 'leak', property: 'teardown-reclaims' });
    expect(leak.trace).toHaveLength(29);
    expect(model.view!(leak.trace.at(-1)!.state)).toMatchObject({
      'td TDR': 'reclaimed',
      'frame 0 owner': 'guest_memfd',
      'frame 0 refcount': '1 (tdx_pin 1)',
      'frame 0 holds': 'guest data',
      'kvm VM': 'BUGGED (dead)',
    });
  });

  it('the mutation ignore-wbinvd-status (KVM clears and unpins whatever the status) turns the leak into reuse of a dirty frame', () => {
    const { result } = run({
      scenario: 'basic',
      policy: 'pin',
      faults: 'wbinvd-fails=1',
      mutations: ['ignore-wbinvd-status'],
    });
    expect(result).toMatchObject({ result: 'violation', distinctStates: 262 });
    expect(result.violation!.property).toBe('flush-and-clear-before-reuse');
    expect(result.violation!.trace).toHaveLength(16);
  });
});
