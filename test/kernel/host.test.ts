import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem, parseFaults, type Scenario } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { hostFamily } from '../../src/scenarios/host.js';
import { callsReached, steps } from './helpers.js';

const onePage = hostFamily.build({ vcpus: 1, pages: 1 });
const build = (scenario: Scenario, policy: string) =>
  buildSystem({
    scenario,
    policy: policies[policy]!,
    faults: parseFaults(''),
    hvo: false,
    mutations: new Set(),
  });

describe('the host scenario’s liveness', () => {
  it('a conversion to shared of a page already shared is 0 with nothing invalidated', () => {
    const converting = (times: number) =>
      build(
        {
          ...onePage,
          vmm: 'script',
          ops: [
            { op: 'init-mem', gfn: 0 },
            { op: 'finalize' },
            ...Array.from({ length: times }, () => ({ op: 'to-shared' as const, gfns: [0] })),
            { op: 'teardown' },
          ],
        },
        'nopin',
      );
    expect(check(converting(1), {})).toMatchObject({ result: 'ok', distinctStates: 105 });
    // The second conversion is one step of the VMM (three states, by where the vCPU is), not an
    // invalidation's walk.
    const twice = converting(2);
    expect(check(twice, {})).toMatchObject({ result: 'ok', distinctStates: 108 });
    expect([...callsReached(twice)].filter((c) => c.startsWith('to shared'))).toEqual([
      'to shared, gfns 0 -> TDX_SUCCESS (0x0000000000000000)',
      'to shared, gfns 0: already shared, nothing to do -> 0',
    ]);
  });

  it('a conversion to private of a page already private is 0 with nothing done, though pin holds a reference on it (v6.17)', () => {
    // INIT_MEM_REGION premaps gfn 0 and pin's reference stays while it is mapped: a refcount
    // check would answer -EAGAIN for ever; KVM_SET_MEMORY_ATTRIBUTES has nothing to do.
    const model = build(
      {
        ...onePage,
        vmm: 'script',
        ops: [
          { op: 'init-mem', gfn: 0 },
          { op: 'to-private', gfns: [0] },
          { op: 'finalize' },
          { op: 'teardown' },
        ],
      },
      'pin',
    );
    expect(check(model, {})).toMatchObject({ result: 'ok', distinctStates: 56 });
    expect([...callsReached(model)].filter((c) => c.startsWith('to private'))).toEqual([
      'to private, gfns 0 -> 0',
    ]);
  });

  it('finding: without the VM-state guard (v6.17) the VMM starves a guest ACCEPT by punching and converting its page again and again (fault-served)', () => {
    const r = check(build(onePage, 'pin'), {});
    expect(r).toMatchObject({ result: 'violation', distinctStates: 3489 });
    expect(r.violation).toMatchObject({ property: 'fault-served', loopStart: 4 });
    const trace = r.violation!.trace;
    expect(trace).toHaveLength(232);
    const loop = steps(trace.slice(4));
    // the guest retries its ACCEPT and KVM serves the fault each time, but the VMM takes the
    // page away before the retry can use it
    expect(
      loop.filter((x) => x === 'vcpu0:TDG.MEM.PAGE.ACCEPT (retried after the fault)').length,
    ).toBeGreaterThan(0);
    expect(loop.filter((x) => x === 'vmm:truncate_inode_pages_range').length).toBeGreaterThan(0);
    expect(loop.filter((x) => x === 'vmm:kvm_gmem_convert_range').length).toBeGreaterThan(0);
    expect(steps(trace.slice(-3))).toEqual([
      'vmm:truncate_inode_pages_range',
      'vmm:kvm_gmem_invalidate_end',
      'vcpu0:TDG.MEM.PAGE.ACCEPT (retried after the fault)',
    ]);
  });
});
