#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { check, ModelError, ParamError, resolveParams, simulate } from '../engine/index.js';
import { InputError } from './input-error.js';
import { faultKinds } from '../kernel/index.js';
import { policies } from '../policies/index.js';
import { scenarios } from '../scenarios/index.js';
import { bundledModels, loadModel } from './load.js';
import { loadPolicy, systemTarget } from './system-target.js';
import { verdictTable } from '../claims/index.js';
import { claimsJson, claimsMarkdown, claimsText } from './claims-report.js';
import { progressLine } from './progress.js';
import { checkJson, checkText, exitCode, simulateJson, simulateText } from './report.js';

function integer(name: string, min = 0) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return Number(text);
  };
}

function collectParam(text: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][\w-]*)=(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`expected key=value, got "${text}"`);
  return { ...acc, [m[1]!]: m[2]! };
}

function print(json: boolean, data: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

const program = new Command('septcheck')
  .description('Model checker for the host side of Intel TDX private memory (guest_memfd, KVM TDP MMU, KVM TDX, TDX module)')
  .exitOverride()
  .configureOutput({ outputError: (msg, write) => write(`septcheck: ${msg.replace(/^error: /, '')}`) });

program
  .command('check')
  .description('explore every state of a model breadth-first and check its properties')
  .argument('[model]', `a bundled model (${bundledModels.join(', ')}) or a model file (.ts or .js); omit with --scenario`)
  .option('--scenario <name>', `check the TDX system in a scenario (${Object.keys(scenarios).join(', ')})`)
  .option('--policy <name>', `page-reference policy for --scenario (${Object.keys(policies).join(', ')}, or a .ts file)`, 'nopin')
  .option('--faults <kind=n,...>', `fault budgets for --scenario (${faultKinds.join(', ')}); default: the scenario's`)
  .option('--hvo', 'HugeTLB Vmemmap Optimization on (tail pages have no page flags of their own)')
  .option('--param <key=value>', 'set a model parameter (repeatable)', collectParam, {})
  .option('--json', 'print one JSON object instead of text')
  .option('--max-states <n>', 'stop once this many distinct states are known (result incomplete)', integer('--max-states', 1))
  .option('--max-depth <n>', 'do not go deeper than this many steps (result incomplete)', integer('--max-depth', 0))
  .option('--no-deadlock', 'do not report states without successors')
  .option('--no-fairness', "ignore the model's fairness when checking liveness")
  .action(async (spec: string | undefined, o) => {
    const target = await resolveTarget(spec, o);
    const progress = progressLine(!o.json);
    const result = check(target.model, {
      maxStates: o.maxStates,
      maxDepth: o.maxDepth,
      ...(o.deadlock === false ? { deadlock: false } : {}),
      fairness: o.fairness,
      onProgress: progress.update,
    });
    progress.done();
    const json = checkJson(target.name, target.params, target.model, result);
    print(o.json, json, checkText(target.name, target.params, target.model, result));
    process.exitCode = exitCode(json);
  });

/** A model file or bundled model, or the TDX system for --scenario. */
async function resolveTarget(spec: string | undefined, o: { scenario?: string; policy: string; faults?: string; hvo?: boolean; param: Record<string, string> }) {
  if (o.scenario !== undefined) {
    if (spec !== undefined) throw new InputError(`give a model or --scenario, not both (got model "${spec}")`);
    return systemTarget({ scenario: o.scenario, policy: o.policy, ...(o.faults !== undefined ? { faults: o.faults } : {}), hvo: o.hvo ?? false });
  }
  if (spec === undefined) throw new InputError('check needs a model or --scenario <name>');
  const def = await loadModel(spec);
  const params = resolveParams(def, o.param);
  return { name: def.name, params, model: def.build(params) };
}

program
  .command('claims')
  .description("check every page-reference design against the review's questions and print the verdict table")
  .option('--policy <file.ts>', 'add a policy of your own (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
  .option('--json', 'print the table, every run and its timing as JSON')
  .option('--markdown', 'print the table as Markdown, for an email or a README')
  .action(async (o: { policy: string[]; json?: boolean; markdown?: boolean }) => {
    const extra = await Promise.all(o.policy.map(async (file) => ({ file, policy: await loadPolicy(file) })));
    const rows = verdictTable([...Object.values(policies), ...extra.map((e) => e.policy)], (p) => extra.find((e) => e.policy === p)?.file ?? p.name);
    process.stdout.write(`${o.json ? JSON.stringify(claimsJson(rows), null, 2) : o.markdown ? claimsMarkdown(rows) : claimsText(rows)}\n`);
  });

program
  .command('simulate')
  .description('random runs through a model, deterministic for a given seed')
  .argument('<model>', 'a bundled model or a model file')
  .option('--param <key=value>', 'set a model parameter (repeatable)', collectParam, {})
  .option('--runs <n>', 'number of random runs', integer('--runs', 1), 1000)
  .option('--depth <n>', 'steps per run at most', integer('--depth', 1), 100)
  .option('--seed <n>', 'random seed', integer('--seed'), 1)
  .option('--no-deadlock', 'do not report states without successors')
  .option('--json', 'print one JSON object instead of text')
  .action(async (spec: string, o) => {
    const def = await loadModel(spec);
    const params = resolveParams(def, o.param);
    const model = def.build(params);
    const result = simulate(model, { runs: o.runs, depth: o.depth, seed: o.seed, ...(o.deadlock === false ? { deadlock: false } : {}) });
    print(o.json, simulateJson(def.name, params, model, result), simulateText(def.name, model, result));
    process.exitCode = exitCode(result);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are not errors; everything else commander rejects is bad input.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof InputError || err instanceof ParamError || err instanceof ModelError) {
    process.stderr.write(`septcheck: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
