import { check, resolveParams, type Counterexample } from '../engine/index.js';
import {
  buildSystem,
  parseFaults,
  resolveModule,
  resolveTree,
  type TreeName,
} from '../kernel/index.js';
import type { PagePolicy } from '../policies/index.js';
import { scenarioFamilies, scenarios } from '../scenarios/index.js';
import { questions, type Question, type Run } from './questions.js';

export type Verdict = 'pass' | 'leak' | 'fail';

export interface RunOutcome extends Run {
  readonly verdict: Verdict;
  readonly property?: string;
  readonly kind?: string;
  readonly distinctStates: number;
  readonly seconds: number;
  /** the kernel tree the run modelled, and whether the design was ported onto it */
  readonly tree: TreeName;
  readonly hypothetical: boolean;
  /** the TDX module, when not 1.5 (the scenario's: dpamt runs 2.0) */
  readonly module?: '2.0';
}

export interface Cell {
  readonly question: string;
  readonly verdict: Verdict;
  /** the property that decided a fail or leak, and the command that prints its counterexample */
  readonly property?: string;
  readonly command?: string;
  /** the tree of the run that decided a fail or leak, and whether the design was ported */
  readonly tree?: TreeName;
  readonly hypothetical?: boolean;
  readonly module?: '2.0';
  readonly seconds: number;
  readonly runs: RunOutcome[];
}

export interface Row {
  readonly policy: string;
  readonly doc: string;
  readonly cells: Cell[];
}

const rank: Record<Verdict, number> = { pass: 0, leak: 1, fail: 2 };

/** One run of the system, judged on the question's properties only. */
function judge(policy: PagePolicy, q: Question, run: Run): RunOutcome {
  const scenario = run.params ? sized(run.scenario, run.params) : scenarios[run.scenario]!;
  const module = run.module ?? resolveModule(scenario);
  const { tree, hypothetical } = resolveTree(policy, scenario, run.tree, module);
  const model = buildSystem({
    scenario,
    policy,
    faults: parseFaults(run.faults),
    hvo: run.hvo,
    withoutPageExt: run.withoutPageExt ?? false,
    tree,
    ...(run.module ? { module } : {}),
  });
  const judged = new Set([...q.invariants, ...q.findings]);
  const result = check({
    ...model,
    invariants: model.invariants!.filter((i) => judged.has(i.name)),
    liveness: model.liveness!.filter((p) => q.liveness.some((prefix) => p.name.startsWith(prefix))),
  });
  const found: Counterexample | undefined = result.violation ?? result.findings[0];
  const verdict: Verdict = result.violation
    ? 'fail'
    : found
      ? q.leakIsFail
        ? 'fail'
        : 'leak'
      : 'pass';
  return {
    ...run,
    verdict,
    ...(found ? { property: found.property, kind: found.kind } : {}),
    distinctStates: result.distinctStates,
    seconds: Math.round(result.seconds * 1000) / 1000,
    tree,
    hypothetical,
    ...(module === '2.0' ? { module } : {}),
  };
}

/** A bundled scenario at the sizes `params` sets (its defaults elsewhere). */
function sized(name: string, params: Readonly<Record<string, number | string>>) {
  const family = scenarioFamilies[name]!;
  const given = Object.entries(params).map(([k, p]) => [k, String(p)]);
  return family.build(resolveParams(family, Object.fromEntries(given), 'scenario'));
}

/** The command that prints a run's shortest counterexample. */
export function commandFor(policy: string, run: Omit<Run, 'tree'> & { tree?: string }): string {
  const scenario = run.params ? sized(run.scenario, run.params) : scenarios[run.scenario]!;
  return [
    'septcheck check',
    `--scenario ${run.scenario}`,
    `--policy ${policy}`,
    // a run without faults on a scenario whose defaults have some (dpamt: busy=1)
    run.faults
      ? `--faults ${run.faults}`
      : Object.keys(scenario.faults).length
        ? '--faults none'
        : '',
    run.hvo ? '--hvo' : '',
    run.withoutPageExt ? '--without-page-ext' : '',
    ...Object.entries(run.params ?? {}).map(([k, n]) => `--param ${k}=${n}`),
    run.tree ? `--tree ${run.tree}` : '',
    run.module ? `--module ${run.module}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function cellFor(policy: PagePolicy, spec: string, q: Question): Cell {
  const started = performance.now();
  let outcomes = q.runs.map((run) => judge(policy, q, run));
  if (q.baseline) {
    // Only what the question's setting makes worse than the same run without it counts.
    outcomes = outcomes.map((o) => {
      const without = judge(policy, q, { ...o, ...q.baseline });
      return rank[o.verdict] > rank[without.verdict] ? o : { ...o, verdict: 'pass' as const };
    });
  }
  const worst = outcomes.reduce((a, b) => (rank[b.verdict] > rank[a.verdict] ? b : a));
  // the command names the tree only where the question's run does (an outcome has it always)
  const asked = q.runs[outcomes.indexOf(worst)]!;
  return {
    question: q.id,
    verdict: worst.verdict,
    ...(worst.verdict !== 'pass'
      ? {
          property: worst.property!,
          command: commandFor(spec, { ...worst, tree: asked.tree, module: asked.module }),
          tree: worst.tree,
          hypothetical: worst.hypothetical,
          ...(worst.module ? { module: worst.module } : {}),
        }
      : {}),
    seconds: Math.round(performance.now() - started) / 1000,
    runs: outcomes,
  };
}

/** Every policy against every question; `specOf` says how the command line names a policy
 * (its name when bundled, its file otherwise). */
export function verdictTable(
  policies: readonly PagePolicy[],
  specOf: (p: PagePolicy) => string = (p) => p.name,
  asked: readonly Question[] = questions,
): Row[] {
  return policies.map((p) => ({
    policy: p.name,
    doc: p.doc,
    cells: asked.map((q) => cellFor(p, specOf(p), q)),
  }));
}
