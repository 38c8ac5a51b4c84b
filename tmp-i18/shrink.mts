import { shrink, simulate, swarmSearch, shardSeed } from '/work/wt/i18/dist/src/engine/index.js';
import { resolveTarget } from '/work/wt/i18/dist/src/cli/target.js';
const targets = [
  { model: 'naive-mutex', params: {} }, { model: 'philosophers', params: {} },
  { scenario: 'basic', policy: 'nopin', faults: 'remove-fails=1' }, { scenario: 'basic', policy: 'nopin', faults: 'block-fails=1' },
  { scenario: 'convert', policy: 'nopin', faults: 'remove-fails=1' }, { scenario: 'contention', policy: 'nopin', faults: 'remove-fails=1' },
  { scenario: 'teardown', policy: 'nopin', faults: 'remove-fails=1' }, { scenario: 'basic', policy: 'pin', faults: 'remove-fails=1' },
];
for (const tt of targets) {
  const t = await resolveTarget(tt as any);
  const rows = [];
  for (const [how, found] of [['simulate', simulate(t.model, { runs: 1000, depth: 100, seed: 1 }).violation], ['swarm', swarmSearch(t.model, { seed: shardSeed(1, 1), maxStates: 100000, maxDepth: 10000 }).violation]] as const) {
    if (!found) { rows.push(`${how}: none`); continue; }
    const t0 = performance.now();
    const b = shrink(t.model, found);
    const t1 = performance.now();
    const d = shrink(t.model, found, 1);
    const t2 = performance.now();
    rows.push(`${how} ${found.property}: ${b.before} -> bfs ${b.after} (${b.method}, ${(t1 - t0).toFixed(0)} ms) / delta ${d.after} (${d.method}, ${(t2 - t1).toFixed(0)} ms)`);
  }
  console.log(t.title, '|', rows.join(' | '));
}
