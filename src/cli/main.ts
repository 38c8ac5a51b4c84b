#!/usr/bin/env node
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import {
  type Model,
  check,
  checkParallel,
  defaultWorkers,
  JOIN_AFTER,
  type Join,
  formatValue,
  type ModelRef,
  ModelError,
  observeRun,
  reducesLiveness,
  replay,
  shardSeed,
  shrink,
  simulate,
  stateGraph,
  stillViolates,
  swarmSearch,
  validate,
  viewState,
} from '../engine/index.js';
import { readEvents, writeEvents } from './events-file.js';
import { faultKinds, moduleDocs, moduleVersions, treeNames, trees } from '../kernel/index.js';
import { policies } from '../policies/index.js';
import { paramRanges, scenarioFamilies, scenarios } from '../scenarios/index.js';
import { InputError } from './input-error.js';
import { count } from './count.js';
import { allowedTarget, isCodeFile, type GivenCode } from './code-files.js';
import { isEntry, runCommand, runProcess } from './entry.js';
import * as io from './io.js';
import { bundledModels } from './load.js';
import { progressLine } from './progress.js';
import {
  checkJson,
  checkText,
  exitCode,
  shrunkText,
  simulateJson,
  simulateText,
} from './report.js';
import { loadPolicy } from './system-target.js';
import { resolveTarget, targetOf, type SystemFlags } from './target.js';
import { traceDoc, traceMarkdown, traceMermaid, traceText, type TraceDoc } from './trace-doc.js';
import type { Explorer } from './explorer.js';
import { readTrace, writeTrace } from './trace-file.js';
import { traceItf } from './trace-itf.js';
import { writeJson } from './write-whole.js';
import { mergedJson, mergeShards, readShard, type ShardFile } from './swarm-file.js';
import {
  KernelUnavailable,
  parseScript,
  runOnKernel,
  runScript,
  scriptEventModel,
  type Script,
} from '../script/index.js';
import { kernelRunText, runText } from './run-report.js';
import { starters, writeStarter, type StarterKind } from './new-file.js';
import { graphDot } from './graph-dot.js';
import { readFileSync, statfsSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';

function integer(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    if (Number(text) > max) throw new InvalidArgumentError(`${name} must be an integer <= ${max}`);
    return Number(text);
  };
}

/** Half the free space of the disk that holds `dir`, in MiB (at least 1). */
function halfFreeMiB(dir: string): number {
  const s = statfsSync(dir);
  return Math.max(1, Math.floor((s.bavail * s.bsize) / 2 / 2 ** 20));
}

/** An existing directory (for the run's own directory of files inside it). */
function directory(name: string) {
  return (text: string): string => {
    let isDir = false;
    try {
      isDir = statSync(text).isDirectory();
    } catch {
      // missing: said below
    }
    if (!isDir) throw new InvalidArgumentError(`${name}: ${text} is not a directory`);
    return text;
  };
}

function seconds(name: string) {
  return (text: string): number => {
    if (!/^\d+(\.\d+)?$/.test(text))
      throw new InvalidArgumentError(`${name} must be a number of seconds >= 0`);
    return Number(text);
  };
}

function collectParam(text: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z_][\w-]*)=(.*)$/.exec(text);
  if (!m) throw new InvalidArgumentError(`expected key=value, got "${text}"`);
  return { ...acc, [m[1]!]: m[2]! };
}

function print(json: boolean, data: unknown, text: string): void {
  io.out(json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

/** The options that name the TDX system: a scenario, a policy, faults, HVO. */
function systemOptions(cmd: Command, scenario?: string): Command {
  return cmd
    .option(
      '--scenario <name>',
      `the TDX system in a scenario (${Object.keys(scenarios).join(', ')})`,
      scenario,
    )
    .option(
      '--policy <name>',
      `page-reference policy for --scenario (${Object.keys(policies).join(', ')}, or a .ts file)`,
      'nopin',
    )
    .option(
      '--faults <kind=n,...>',
      `fault budgets for --scenario (${faultKinds.join(', ')}), or none; default: the scenario's`,
    )
    .option('--hvo', 'HugeTLB Vmemmap Optimization on (tail pages have no page flags of their own)')
    .option(
      '--without-page-ext',
      'no page_ext client enabled at boot: mm/page_ext.c allocates no table (page-ext then marks nothing)',
    )
    .option(
      '--tree <name>',
      `the kernel tree --scenario models: ${treeNames.map((t) => `${t} (${trees[t].doc})`).join('; ')}. Default: the design's own tree (pin: v6.17, the others: series-v3, native on hugepage-v3 too), or the first tree that has what the scenario needs (convert: conversion-rfc), a hypothetical port unless the design is native there`,
    )
    .option(
      '--module <version>',
      `the TDX module --scenario models: ${moduleVersions.map((m) => `${m} (${moduleDocs[m]})`).join('; ')}. Default: 1.5, or 2.0 for a scenario that needs Dynamic PAMT (dpamt). 2.0 needs a tree whose kernel enables Dynamic PAMT (hugepage-v3, then the default tree)`,
    );
}

/** The options that name a model: a model argument with --param, or --scenario and friends. */
function modelOptions(cmd: Command): Command {
  return systemOptions(
    cmd.argument(
      '[model]',
      `a bundled model (${bundledModels.join(', ')}) or a model file (.ts or .js); omit with --scenario`,
    ),
  ).option(
    '--param <key=value>',
    `set a parameter of the model, or a size of the --scenario (repeatable); scenario sizes, range (default): ${Object.values(
      scenarioFamilies,
    )
      .map((f) => `${f.name} ${paramRanges(f)}`)
      .join('; ')}`,
    collectParam,
    {},
  );
}

function shardSpec(text: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new InvalidArgumentError('expected i/N with 1 <= i <= N, e.g. 3/8');
  return [Number(m[1]), Number(m[2])];
}

/** The CPU a process's events show on in a synthetic log: vCPU n on CPU n, the rest after them. */
function cpuOf(process: string | null): number {
  const m = /^vcpu(\d+)$/.exec(process ?? '');
  return m ? Number(m[1]) : process === 'vmm' ? 8 : 9;
}

/** The explorer `view --explore` serves: of the trace's model, or of the scenario named. */
async function explorerOf(
  doc: TraceDoc | undefined,
  file: string | undefined,
  o: SystemFlags,
): Promise<Explorer> {
  if (doc && o.scenario !== undefined)
    throw new InputError('view --explore: give a trace or --scenario, not both');
  if (!doc && o.scenario === undefined)
    throw new InputError('view --explore: give a trace or --scenario <name>');
  // A trace's model or policy file runs only when given on the command line too (code-files.ts).
  const t = await resolveTarget(doc ? allowedTarget(doc.target, o, file!) : targetOf(undefined, o));
  const { Explorer } = await import('./explorer.js');
  return doc
    ? Explorer.fromTrace(t.model, t.title, t.target, doc.steps, file!)
    : new Explorer(t.model, t.title, t.target);
}

// What only one command needs (the verdict table, the view's web server, the explorer) that
// command imports when it runs: a process loads only what it uses (start-up is most of a short
// run's time). The package's bin is this module bundled (build/bundle-cli.mjs).
const program = new Command('septcheck')
  .description(
    'Model checker for the host side of Intel TDX private memory (guest_memfd, KVM TDP MMU, KVM TDX, TDX module)',
  )
  .exitOverride()
  .configureOutput({
    writeOut: io.out,
    writeErr: io.err,
    outputError: (msg, write) =>
      write(
        `septcheck: ${msg
          .replace(/^error: /, '')
          .trimEnd()
          .replace(/\s*\n\s*/g, ' ')}\n`,
      ),
  });

modelOptions(
  program
    .command('check')
    .description('explore every state of a model breadth-first and check its properties'),
)
  .option('--json', 'print one JSON object instead of text')
  .option(
    '--max-states <n>',
    'stop once this many distinct states are known (result incomplete)',
    integer('--max-states', 1),
  )
  .option(
    '--max-depth <n>',
    'do not go deeper than this many steps (result incomplete)',
    integer('--max-depth', 0),
  )
  .option(
    '--max-memory <MiB>',
    "stop before the checker's tables would pass this many MiB (result incomplete; default: half the machine's memory)",
    integer('--max-memory', 1),
  )
  .option(
    '--spill <dir>',
    "when --max-memory is reached, go on with the queue of states to expand on disk, in a directory of the run's own inside dir, removed at the end (a safety search, on one thread)",
    directory('--spill'),
  )
  .option(
    '--max-disk <MiB>',
    'with --spill: the most MiB on disk at once (result incomplete, stopped by max-disk; default: half the free space of the disk)',
    integer('--max-disk', 1),
  )
  .option('--no-deadlock', 'do not report states without successors')
  .option('--no-fairness', "ignore the model's fairness when checking liveness")
  .option(
    '--no-liveness',
    'check safety only: invariants and deadlocks, no liveness properties (as TLC without PROPERTY)',
  )
  .option(
    '--por',
    "partial-order reduction from the steps' footprints: invariants and deadlocks on the reduced graph, liveness too unless the model has strongly fair actions (then not checked: the JSON report's reduction field says which); on one thread",
  )
  .option(
    '--symmetry',
    'symmetry reduction, where the model declares interchangeable parts (the TDX system: its vCPUs); liveness is then not checked',
  )
  .option(
    '--trace-out <file>',
    'save the counterexample (or the first finding) as a trace file (in the Informal Trace Format if it ends in .itf.json)',
  )
  .option(
    '--coverage',
    'count per action the successors it generated, the states it found first and its time, and list the actions never enabled (one thread)',
  )
  .option(
    '--workers <n>',
    'threads that expand states: this one and n - 1 worker threads, for BFS levels of 2,048 states or more (default: one per core, joining where they pay: see --join-after)',
    integer('--workers', 1),
  )
  .option(
    '--join-after <seconds>',
    `the CPU seconds a run goes on alone before the threads join (default: without --workers, ${JOIN_AFTER} and only if a core is idle; with it, 0)`,
    seconds('--join-after'),
  )
  .action(async (spec: string | undefined, o) => {
    const t = await resolveTarget(targetOf(spec, o));
    if (o.symmetry && !t.model.canonical)
      throw new InputError(
        `--symmetry: ${t.title} declares no interchangeable parts (no canonical)`,
      );
    if (o.maxDisk !== undefined && !o.spill)
      throw new InputError('--max-disk: only with --spill <dir>');
    if (
      o.spill &&
      (o.coverage ||
        (o.liveness !== false &&
          !o.symmetry &&
          (!o.por || reducesLiveness(t.model, o.fairness !== false)) &&
          (t.model.liveness?.length ?? 0) > 0))
    )
      throw new InputError(
        `--spill: ${o.coverage ? '--coverage' : `liveness (${t.title} has liveness properties)`} keeps every state in memory; add ${o.coverage ? 'no --coverage' : '--no-liveness'}`,
      );
    const progress = await progressLine(!o.json);
    const options = {
      maxStates: o.maxStates,
      maxDepth: o.maxDepth,
      maxMemory: (o.maxMemory ?? Math.floor(totalmem() / 2 / 2 ** 20)) * 2 ** 20,
      ...(o.deadlock === false ? { deadlock: false } : {}),
      fairness: o.fairness,
      liveness: o.liveness,
      ...(o.symmetry ? { symmetry: true } : {}),
      ...(o.por ? { por: true } : {}),
      ...(o.coverage ? { coverage: true } : {}),
      ...(o.spill
        ? { spill: { dir: o.spill, maxDisk: (o.maxDisk ?? halfFreeMiB(o.spill)) * 2 ** 20 } }
        : {}),
      onProgress: progress.update,
    };
    const ref: ModelRef = {
      url: new URL('./worker-model.js', import.meta.url).href,
      exportName: 'buildModel',
      arg: t.target,
      ...(o.deadlock === false ? { deadlock: false } : {}),
    };
    // By default the threads join only where they pay (a run past its first seconds).
    const workers: number = o.por || o.coverage || o.spill ? 1 : (o.workers ?? defaultWorkers());
    const join: Join | undefined =
      o.joinAfter !== undefined
        ? { afterCpuSeconds: o.joinAfter, onlyIfIdle: false }
        : o.workers === undefined
          ? { afterCpuSeconds: JOIN_AFTER, onlyIfIdle: true }
          : undefined;
    const result =
      workers > 1
        ? await checkParallel(t.model, ref, workers, options, join)
        : check(t.model, options);
    progress.done();
    const found = result.violation ?? result.findings[0];
    if (o.traceOut && found) writeTrace(o.traceOut, traceDoc(t.model, found, t.title, t.target));
    const json = checkJson(t.name, t.params, t.model, result, t.tree, t.module);
    print(o.json, json, checkText(t.title, t.target, t.model, result));
    io.setExit(exitCode(json));
  });

modelOptions(
  program
    .command('graph')
    .description('print the state graph of a model, up to a bound, for Graphviz'),
)
  .addOption(new Option('--format <format>', 'output format').choices(['dot']).default('dot'))
  .option('--max-states <n>', 'draw at most this many states', integer('--max-states', 1), 500)
  .action(async (spec: string | undefined, o) => {
    const t = await resolveTarget(targetOf(spec, o));
    io.out(`${graphDot(t.title, t.model, stateGraph(t.model, o.maxStates))}\n`);
  });

program
  .command('claims')
  .description(
    "check every page-reference design against the review's questions and print the verdict table",
  )
  .option(
    '--policy <file.ts>',
    'add a policy of your own (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [],
  )
  .option('--json', 'print the table, every run and its timing as JSON')
  .option('--markdown', 'print the table as Markdown, for an email or a README')
  .option(
    '--huge',
    'add the huge-page questions (issue 17, tree hugepage-v3): a failed DEMOTE never frees a mapped frame; Dynamic PAMT (TDX module 2.0) never frees a PAMT page in use',
  )
  .action(async (o: { policy: string[]; json?: boolean; markdown?: boolean; huge?: boolean }) => {
    const { hugeQuestions, questions, verdictTable } = await import('../claims/index.js');
    const { claimsJson, claimsMarkdown, claimsText } = await import('./claims-report.js');
    const extra = await Promise.all(
      o.policy.map(async (file) => ({ file, policy: await loadPolicy(file) })),
    );
    const rows = verdictTable(
      [...Object.values(policies), ...extra.map((e) => e.policy)],
      (p) => extra.find((e) => e.policy === p)?.file ?? p.name,
      o.huge ? [...questions, ...hugeQuestions] : questions,
    );
    io.out(
      `${o.json ? JSON.stringify(claimsJson(rows), null, 2) : o.markdown ? claimsMarkdown(rows) : claimsText(rows)}\n`,
    );
  });

program
  .command('run')
  .description(
    'perform a scripted sequence of VMM and guest operations, checking what each returns',
  )
  .argument('<script>', 'a script, YAML or JSON (see the README)')
  .option(
    '--kernel',
    'also run it on the running kernel through /dev/kvm (default VM) and compare every step with the model',
  )
  .option(
    '--policy <file>',
    'the policy file the script names (vm.policy), if any: a script runs only code given on the command line',
  )
  .option(
    '--tree <name>',
    `the kernel tree a TDX script's VM models, instead of its vm.tree (${treeNames.join(', ')})`,
  )
  .option(
    '--module <version>',
    `the TDX module a TDX script's VM models, instead of its vm.module (${moduleVersions.join(', ')})`,
  )
  .option('--json', 'print the report as JSON')
  .action(
    async (
      file: string,
      o: GivenCode & { json?: boolean; kernel?: boolean; tree?: string; module?: string },
    ) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new InputError(`${file}: no such file`);
      }
      const parsed = parseScript(text, file);
      if (o.tree !== undefined && !(treeNames as readonly string[]).includes(o.tree))
        throw new InputError(`--tree: unknown tree "${o.tree}" (known: ${treeNames.join(', ')})`);
      if (o.module !== undefined && !(moduleVersions as readonly string[]).includes(o.module))
        throw new InputError(
          `--module: unknown TDX module "${o.module}" (known: ${moduleVersions.join(', ')})`,
        );
      const script = {
        ...parsed,
        vm: {
          ...parsed.vm,
          ...(o.tree !== undefined ? { tree: o.tree } : {}),
          ...(o.module !== undefined ? { module: o.module } : {}),
        },
      };
      if (o.kernel) return runKernel(script, file, !!o.json);
      const own = isCodeFile(script.vm.policy)
        ? await loadPolicy(allowedTarget({ policy: script.vm.policy }, o, file).policy!)
        : undefined;
      const report = runScript(script, file, own);
      print(!!o.json, report, runText(report));
      io.setExit(report.passed ? 0 : 1);
    },
  );

/** A default-VM script's run as the model a kernel capture is validated against. */
function scriptTarget(file: string): { model: Model; title: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}: no such file`);
  }
  return {
    model: scriptEventModel(parseScript(text, file), file),
    title: `the default-VM script ${file}`,
  };
}

function runKernel(script: Script, file: string, json: boolean): void {
  try {
    const report = runOnKernel(script, file);
    print(json, report, kernelRunText(report));
    io.setExit(report.passed ? 0 : 1);
  } catch (err) {
    if (!(err instanceof KernelUnavailable)) throw err;
    // Nothing was compared: not a pass, not bad input.
    io.err(`septcheck: ${file}: not compared with the kernel: ${err.message}\n`);
    io.setExit(3);
  }
}

program
  .command('replay')
  .description(
    're-execute a saved trace against the current model: confirm it, or say where it no longer fits',
  )
  .argument('<trace.json>', 'a trace saved with check --trace-out')
  .option(
    '--model <file>',
    'the model file the trace names, if any: a trace runs only code given on the command line',
  )
  .option(
    '--policy <file>',
    'the policy file the trace names, if any: a trace runs only code given on the command line',
  )
  .option('--json', 'print the outcome as JSON')
  .action(async (file: string, o: GivenCode & { json?: boolean }) => {
    const doc = readTrace(file);
    const t = await resolveTarget(allowedTarget(doc.target, o, file));
    const r = replay(t.model, doc.steps);
    const path = doc.kind === 'path'; // saved by view --explore: it claims no property
    const why = r.ok && !path ? stillViolates(t.model, r.states, doc) : undefined;
    const outcome = !r.ok
      ? { result: 'diverged', step: r.step, reason: r.reason }
      : why
        ? { result: 'no-longer-violates', reason: why }
        : { result: 'confirmed', steps: doc.steps.length - 1 };
    const text = !r.ok
      ? `${file}: step ${r.step} no longer fits the model: ${r.reason}`
      : why
        ? `${file}: the model still allows every step, but ${why}`
        : path
          ? `${file}: confirmed: all ${doc.steps.length - 1} steps replay (a path: it claims no property)`
          : `${file}: confirmed: all ${doc.steps.length - 1} steps replay and ${doc.kind} ${doc.property} is still violated`;
    print(!!o.json, { trace: file, property: doc.property, ...outcome }, text);
    io.setExit(outcome.result === 'confirmed' ? 0 : 1);
  });

program
  .command('explain')
  .description('print a saved trace again')
  .argument('<trace.json>', 'a trace saved with check --trace-out')
  .addOption(
    new Option('--format <format>', 'output format')
      .choices(['text', 'json', 'markdown', 'mermaid', 'itf'])
      .default('text'),
  )
  .action((file: string, o: { format: string }) => {
    const doc = readTrace(file);
    const out =
      o.format === 'json'
        ? JSON.stringify(doc, null, 2)
        : o.format === 'itf'
          ? JSON.stringify(traceItf(doc), null, 2)
          : o.format === 'markdown'
            ? traceMarkdown(doc)
            : o.format === 'mermaid'
              ? traceMermaid(doc)
              : traceText(doc);
    io.out(`${out}\n`);
  });

systemOptions(
  program
    .command('view')
    .description(
      'serve a page that steps through a trace (or shows the verdict table, or explores a model) on 127.0.0.1',
    )
    .argument(
      '[trace.json]',
      'a trace saved with check --trace-out; without one, the verdict table with links to its traces',
    )
    .option('--port <n>', 'port to listen on (0: any free one)', integer('--port', 0, 65535), 7373)
    .option('--no-open', 'do not open a browser')
    .option(
      '--explore',
      'explore the model step by step: of --scenario (from its initial state), or of the trace (from its end, or any of its steps)',
    ),
).action(
  async (
    file: string | undefined,
    o: SystemFlags & { port: number; open: boolean; explore?: boolean },
  ) => {
    if (!o.explore && o.scenario !== undefined)
      throw new InputError('view: --scenario needs --explore');
    const doc = file ? readTrace(file) : undefined;
    const explorer = o.explore ? await explorerOf(doc, file, o) : undefined;
    const { openBrowser, serveView } = await import('./view-server.js');
    const { server, url } = await serveView(explorer ? undefined : doc, o.port, explorer);
    io.serving(() => server.close());
    io.out(`septcheck view: ${url} (Ctrl-C to stop)\n`);
    if (o.open) openBrowser(url);
  },
);

program
  .command('new')
  .description(
    'write a small, commented starting point: a model (for check), a policy (for claims --policy and check --policy) or a script (for run)',
  )
  .addArgument(new Argument('<kind>', 'what to write').choices(Object.keys(starters)))
  .argument(
    '<file>',
    'the file to write (a model or policy: .ts; a script: .yaml); never overwritten',
  )
  .action((kind: StarterKind, file: string) => {
    writeStarter(kind, file);
    const next =
      kind === 'model'
        ? `septcheck check ${file}`
        : kind === 'policy'
          ? `septcheck claims --policy ${file}`
          : `septcheck run ${file}`;
    io.out(`wrote ${file}; try: ${next}\n`);
  });

modelOptions(
  program
    .command('swarm')
    .description(
      'one shard of a swarm: a bounded, differently seeded search; writes a result file for merge',
    ),
)
  .requiredOption('--shard <i/N>', 'which shard of how many (1-based)', shardSpec)
  .option('--seed <n>', "the swarm's base seed (each shard derives its own)", integer('--seed'), 1)
  .option(
    '--max-states <n>',
    'distinct states this shard may visit',
    integer('--max-states', 1),
    100_000,
  )
  .option('--max-depth <n>', 'steps deep this shard may go', integer('--max-depth', 1), 10_000)
  .option('--out <file>', 'write the result file here (default: stdout)')
  .option('--no-shrink', 'keep the violation as the depth-first path found it, not shrunk')
  .action(async (spec: string | undefined, o) => {
    const t = await resolveTarget(targetOf(spec, o));
    const [i, n] = o.shard as [number, number];
    const seed = shardSeed(o.seed, i);
    const r = swarmSearch(t.model, { seed, maxStates: o.maxStates, maxDepth: o.maxDepth });
    const shrunk = r.violation && o.shrink ? shrink(t.model, r.violation) : undefined;
    const violation = shrunk?.counterexample ?? r.violation;
    const file: ShardFile = {
      format: 'septcheck-swarm/1',
      title: t.title,
      target: t.target,
      shard: i,
      of: n,
      seed,
      result: r.result,
      distinctStates: r.distinctStates,
      transitions: r.transitions,
      maxDepthReached: r.maxDepthReached,
      seconds: Math.round(r.seconds * 1000) / 1000,
      ...(violation ? { violation: traceDoc(t.model, violation, t.title, t.target) } : {}),
      ...(shrunk
        ? { shrunk: { method: shrunk.method, before: shrunk.before, after: shrunk.after } }
        : {}),
    };
    if (o.out) writeJson(o.out, file);
    else io.out(`${JSON.stringify(file, null, 2)}\n`);
    io.setExit(exitCode(r));
  });

program
  .command('merge')
  .description('combine the result files of a swarm')
  .argument('<files...>', 'result files written by septcheck swarm')
  .option('--json', 'print the merged result as JSON')
  .action((names: string[], o: { json?: boolean }) => {
    const m = mergeShards(names.map(readShard), names);
    const text = [
      `${m.title}: ${m.shards} of ${m.of} shards${m.missing.length ? ` (missing: ${m.missing.join(', ')})` : ''}, ${count(m.statesExplored)} states explored in all`,
      ...(m.violation
        ? [
            '',
            `found by shard ${m.violation.shard} (${m.violation.shrunk ? shrunkText(m.violation.shrunk) : 'a depth-first path, not necessarily the shortest'}):`,
            traceText(m.violation),
          ]
        : []),
      '',
      `result: ${m.result}`,
    ].join('\n');
    print(!!o.json, mergedJson(m), text);
    io.setExit(exitCode(m));
  });

systemOptions(
  program
    .command('validate')
    .description(
      "check a captured log against the TDX system: is it one of the model's behaviours?",
    )
    .argument('<events.jsonl>', 'a log in the event format (tools/septcheck-trace.bt writes it)'),
  'basic',
)
  .option(
    '--map-addresses',
    "rename the log's guest pages and host frames to the scenario's, in order of first appearance (for a real host's log)",
  )
  .option(
    '--script <file>',
    'check against a default-VM script instead (a log of tools/septcheck-kvm-trace.bt from `septcheck run --kernel <file>`)',
  )
  .option('--json', 'print the outcome as JSON')
  .action(async (file: string, o) => {
    const logged = readEvents(file);
    const t = o.script ? scriptTarget(o.script) : await resolveTarget(targetOf(undefined, o));
    if (o.mapAddresses && !t.model.mapAddresses)
      throw new InputError(
        `--map-addresses: ${t.title} does not say how a real system's addresses map to its own`,
      );
    const events = o.mapAddresses ? t.model.mapAddresses!(logged) : logged;
    const r = (() => {
      try {
        return validate(t.model, events);
      } catch (e) {
        // the bundled system's search bound between two events: the log, not septcheck, is at fault
        if (e instanceof ModelError && e.cause === undefined)
          throw new InputError(`${file}: cannot be validated: ${e.message}`);
        throw e;
      }
    })();
    if (r.valid) {
      const skipped = r.ignored
        ? ` (${r.ignored} events of functions the model does not show were skipped)`
        : '';
      print(
        o.json,
        { log: file, model: t.title, valid: true, matched: r.matched, ignored: r.ignored },
        `${file}: valid: all ${r.matched} events are a behaviour of ${t.title}${skipped}`,
      );
      return;
    }
    const e = events[r.index]!;
    const view = viewState(t.model, r.state);
    const text = [
      `${file}: event ${r.index + 1} cannot be explained by ${t.title}: ${JSON.stringify(e)}`,
      `the ${r.matched} events of the model's before it are explained; a state the run can be in there:`,
      ...Object.entries(view).map(([k, v]) => `  ${k}: ${formatValue(v)}`),
      'the events the model would have allowed next:',
      ...r.allowed.map((a) => `  ${JSON.stringify(a)}`),
    ].join('\n');
    print(
      o.json,
      {
        log: file,
        model: t.title,
        valid: false,
        event: r.index + 1,
        matched: r.matched,
        ignored: r.ignored,
        state: view,
        allowed: r.allowed,
      },
      text,
    );
    io.setExit(1);
  });

modelOptions(
  program
    .command('simulate')
    .description('random runs through a model, deterministic for a given seed'),
)
  .option('--runs <n>', 'number of random runs', integer('--runs', 1), 1000)
  .option('--depth <n>', 'steps per run at most', integer('--depth', 1), 100)
  .option('--seed <n>', 'random seed', integer('--seed'), 1)
  .option('--no-deadlock', 'do not report states without successors')
  .option('--json', 'print one JSON object instead of text')
  .option(
    '--events-out <file>',
    'write what a tracer would have logged of the last run, as JSON lines',
  )
  .option('--no-shrink', 'print the violation as the random run found it, not shrunk')
  .action(async (spec: string | undefined, o) => {
    const t = await resolveTarget(targetOf(spec, o));
    const result = simulate(t.model, {
      runs: o.runs,
      depth: o.depth,
      seed: o.seed,
      ...(o.deadlock === false ? { deadlock: false } : {}),
    });
    if (o.eventsOut) writeEvents(o.eventsOut, observeRun(t.model, result.lastRun, cpuOf));
    const shrunk = result.violation && o.shrink ? shrink(t.model, result.violation) : undefined;
    print(
      o.json,
      simulateJson(t.name, t.params, t.model, result, shrunk, t.tree, t.module),
      simulateText(t.title, t.target, t.model, result, shrunk),
    );
    io.setExit(exitCode(result));
  });

/** Runs septcheck in this process with `argv` (the arguments after the command's name). */
export function septcheck(
  argv: readonly string[],
  streams: io.CliIo = io.processIo,
): Promise<number> {
  return runCommand(program, argv, streams);
}

if (isEntry(import.meta.url)) await runProcess(program);
