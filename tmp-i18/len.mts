import { simulate } from '/work/wt/i18/dist/src/engine/index.js';
import { resolveTarget } from '/work/wt/i18/dist/src/cli/target.js';
for (const scenario of ['host', 'contention', 'teardown']) {
  const t = await resolveTarget({ scenario, policy: 'nopin', hvo: false, faults: '' });
  const lens = [];
  for (let seed = 1; seed <= 5; seed++) lens.push(simulate(t.model, { runs: 1, depth: 150, seed }).lastRun.length);
  console.log(scenario, lens);
}
