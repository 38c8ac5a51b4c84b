import { check } from '/work/wt/i18/dist/src/engine/index.js';
import { resolveTarget } from '/work/wt/i18/dist/src/cli/target.js';
const fired = new Map<string, number>();
const norm = (l: string) => l.replace(/@vcpu\d+/, '@vcpu').replace(/ #\d+$/, '');
for (const scenario of ['basic', 'convert', 'contention', 'teardown']) {
  for (const faults of [undefined, 'remove-fails=1', 'block-fails=1', 'busy=1', 'transient-refs=1', 'memory-failure=1']) {
    for (const policy of ['nopin', 'pin', 'page-flag']) for (const hvo of [false, true]) {
    const t = await resolveTarget({ scenario, policy, hvo, ...(faults ? { faults } : {}) });
    const r = check(t.model, { coverage: true, liveness: false });
    for (const a of r.coverage!.actions) fired.set(norm(a.label), (fired.get(norm(a.label)) ?? 0) + a.fired);
    }
  }
}
console.log('never:', [...fired].filter(([, n]) => n === 0).map(([l]) => l));
