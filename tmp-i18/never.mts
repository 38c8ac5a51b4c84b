import { check } from '/work/wt/i18/dist/src/engine/index.js';
import { resolveTarget } from '/work/wt/i18/dist/src/cli/target.js';
const fired = new Map<string, number>();
for (const scenario of ['basic', 'convert', 'contention', 'teardown']) {
  for (const faults of [undefined, 'remove-fails=1', 'block-fails=1', 'busy=1', 'transient-refs=1', 'memory-failure=1']) {
    for (const policy of ['nopin', 'pin']) {
    const t0 = Date.now();
    const t = await resolveTarget({ scenario, policy, hvo: false, ...(faults ? { faults } : {}) });
    const r = check(t.model, { coverage: true, liveness: false, maxStates: 3_000_000 });
    for (const a of r.coverage!.actions) fired.set(a.label, (fired.get(a.label) ?? 0) + a.fired);
    console.log(scenario, policy, faults, r.result, r.distinctStates, r.coverage!.neverEnabled.length, Date.now() - t0, 'ms');
    }
  }
}
console.log('never:', [...fired].filter(([, n]) => n === 0).map(([l]) => l));
