/**
 * TypeOK (as in TLA+): in every reachable state every variable lies within the domain its
 * declaration gives it (src/kernel/vars.ts, with the labels of src/kernel/programs.ts), on every
 * scenario, with its own faults and with every kind of fault.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { parseFaults, systemModel } from '../../src/kernel/index.js';
import { policies } from '../../src/policies/index.js';
import { scenarios } from '../../src/scenarios/index.js';

const runs: [scenario: string, policy: string, faults: string | undefined][] = [
  ...Object.keys(scenarios).map((s): [string, string, undefined] => [s, 'nopin', undefined]),
  ['basic', 'pin', 'remove-fails=1,block-fails=1,busy=1,transient-refs=2'],
  ['basic', 'unmap-error', 'remove-fails=1,memory-failure=1'],
  ['convert', 'page-flag', 'remove-fails=1,memory-failure=1'],
  ['convert', 'pin', 'transient-refs=1,busy=1'],
  ['contention', 'ref-on-zap-failure', 'busy=2,block-fails=1'],
  ['teardown', 'hwpoison', 'remove-fails=1,busy=1,wbinvd-fails=1'],
  ['convert', 'page-ext', 'remove-fails=1,wbinvd-fails=1'],
];

describe('TypeOK: every variable within its declared domain', () => {
  it.each(runs)('%s with %s, faults %s', (scenario, policy, faults) => {
    const s = scenarios[scenario]!;
    const { model, kernel } = systemModel({
      scenario: s,
      policy: policies[policy]!,
      faults: faults === undefined ? s.faults : parseFaults(faults),
      hvo: false,
    });
    const typeOk = {
      name: 'type-ok',
      doc: 'a variable outside its domain',
      check: (st: Uint8Array) => kernel.v.outsideDomain(st) === undefined,
    };
    const r = check({ ...model, invariants: [typeOk], liveness: [] }, { maxStates: 150_000 });
    const last = r.violation?.trace.at(-1)?.state;
    expect(last ? kernel.v.outsideDomain(last) : undefined).toBeUndefined();
    expect(r.result === 'ok' || (r.result === 'incomplete' && scenario === 'host')).toBe(true);
    expect(r.distinctStates).toBeGreaterThan(50);
  });

  it('catches a value outside its domain', () => {
    const { model, kernel } = systemModel({
      scenario: scenarios.basic!,
      policy: policies.nopin!,
      faults: {},
      hvo: false,
    });
    const s = model.initial()[0]!;
    expect(kernel.v.outsideDomain(s)).toBeUndefined();
    s[kernel.v.sept + 1] = 5;
    expect(kernel.v.outsideDomain(s)).toBe('sept[1] = 5');
  });
});
