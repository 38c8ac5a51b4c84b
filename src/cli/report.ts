import {
  type CheckResult,
  type Counterexample,
  type Model,
  type Shrunk,
  type SimulateResult,
} from '../engine/index.js';
import type { ModuleVersion, TreeChoice } from '../kernel/index.js';
import { coverageText } from './coverage-report.js';
import { count } from './count.js';
import {
  describeSteps,
  traceDoc,
  traceText,
  type TraceDoc,
  type TraceTarget,
} from './trace-doc.js';

export type ReportParams = Readonly<Record<string, string | number | boolean>>;

export interface JsonStep {
  action: string | null;
  process: string | null;
  where?: string;
  call?: string;
  state: Record<string, unknown>;
}

export interface JsonCounterexample {
  kind: string;
  property: string;
  doc: string;
  trace: JsonStep[];
  loopStart?: number;
  fairness?: string[];
}

/** A counterexample as the JSON report carries it: each state in the model's own view. */
export function counterexampleJson(model: Model, c: Counterexample): JsonCounterexample {
  return {
    kind: c.kind,
    property: c.property,
    doc: c.doc,
    trace: describeSteps(model, c),
    ...(c.loopStart !== undefined ? { loopStart: c.loopStart } : {}),
    ...(c.fairness ? { fairness: c.fairness } : {}),
  };
}

/** A trace document's counterexample as the JSON reports carry it (the same shape as above). */
export function docCounterexampleJson(d: TraceDoc): JsonCounterexample {
  return {
    kind: d.kind,
    property: d.property,
    doc: d.doc,
    trace: d.steps.map(({ changes: _, ...step }) => step),
    ...(d.loopStart !== undefined ? { loopStart: d.loopStart } : {}),
    ...(d.fairness ? { fairness: d.fairness } : {}),
  };
}

/** The exit code for a result: 0 ok, 1 violation (or finding), 3 incomplete. */
export function exitCode(r: { result: string }): number {
  return r.result === 'ok' ? 0 : r.result === 'incomplete' ? 3 : 1;
}

/** A check's outcome for the JSON report: a violation wins, then findings, then the bound. */
export function outcome(r: CheckResult): string {
  if (r.violation) return 'violation';
  if (r.findings.length > 0) return r.findings[0]!.kind;
  return r.result;
}

/** The TDX system's tree, for the JSON reports: which tree, the design's own, and whether the
 * run is a hypothetical port of the design onto another. */
const treeJson = (tree?: TreeChoice, module?: ModuleVersion) =>
  tree
    ? {
        tree: tree.tree,
        hypothetical: tree.hypothetical,
        policyTree: tree.policyTree,
        ...(module ? { module } : {}),
      }
    : {};

export function checkJson(
  name: string,
  params: ReportParams,
  model: Model,
  r: CheckResult,
  tree?: TreeChoice,
  module?: ModuleVersion,
): Record<string, unknown> & { result: string } {
  return {
    model: name,
    params,
    ...treeJson(tree, module),
    result: outcome(r),
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    distinctStates: r.distinctStates,
    transitions: r.transitions,
    depth: r.depth,
    seconds: round(r.seconds),
    statesPerSecond: r.statesPerSecond,
    collisionProbability: r.collisionProbability,
    bytesPerState: r.bytesPerState,
    bytesPerVisitedState: r.bytesPerVisitedState,
    bytesPerQueuedState: r.bytesPerQueuedState,
    ...(r.spilledBytes !== undefined ? { spilledBytes: r.spilledBytes } : {}),
    ...(r.violation ? { violation: counterexampleJson(model, r.violation) } : {}),
    ...(r.reduction ? { reduction: r.reduction } : {}),
    findings: r.findings.map((f) => counterexampleJson(model, f)),
    ...(r.coverage ? { coverage: r.coverage } : {}),
  };
}

/** The human summary: every counterexample as a call trace, then the verdict and the counts. */
export function checkText(
  title: string,
  target: TraceTarget,
  model: Model,
  r: CheckResult,
): string {
  const lines: string[] = [`model ${title}`];
  for (const c of [...(r.violation ? [r.violation] : []), ...r.findings])
    lines.push('', traceText(traceDoc(model, c, title, target)));
  lines.push('');
  const verdict = outcome(r);
  const why = r.stoppedBy ? ` (stopped by --${r.stoppedBy})` : '';
  lines.push(
    `result: ${verdict}${why}${verdict === 'leak' ? ' (a deliberate leak: memory lost, nothing corrupted; weaker than a safety violation)' : ''}`,
  );
  lines.push(
    `${count(r.distinctStates)} distinct states, ${count(r.transitions)} transitions, depth ${r.depth}, ` +
      `${round(r.seconds)} s (${count(r.statesPerSecond)} states/s)`,
  );
  lines.push(
    `fingerprint collision probability (optimistic, as TLC computes it): ${r.collisionProbability.toExponential(1)}`,
  );
  if (r.reduction?.notChecked.length)
    lines.push(
      `partial-order reduction: liveness not checked (${r.reduction.notChecked.join(', ')})`,
    );
  if (r.coverage) lines.push('', coverageText(r.coverage));
  return lines.join('\n');
}

/** How a counterexample was shrunk, in words. */
export function shrunkText(s: Pick<Shrunk, 'method' | 'before' | 'after'>): string {
  const how = {
    bfs: 'a breadth-first search as deep as the one found',
    delta: 'delta debugging with replay',
    none: 'neither a breadth-first search nor delta debugging made it shorter',
  }[s.method];
  return s.method === 'none'
    ? `not shrunk: ${how} (${s.before} steps)`
    : `shrunk from ${s.before} to ${s.after} steps by ${how}`;
}

/** `shrunk`: the violation as shrunk (it replaces the one found). */
export function simulateJson(
  name: string,
  params: ReportParams,
  model: Model,
  r: SimulateResult,
  shrunk?: Shrunk,
  tree?: TreeChoice,
  module?: ModuleVersion,
): Record<string, unknown> {
  return {
    model: name,
    params,
    ...treeJson(tree, module),
    result: r.violation
      ? r.violation.kind === 'invariant' || r.violation.kind === 'deadlock'
        ? 'violation'
        : r.violation.kind
      : 'ok',
    runs: r.runs,
    steps: r.steps,
    seed: r.seed,
    seconds: round(r.seconds),
    ...(r.violation
      ? { violation: counterexampleJson(model, shrunk?.counterexample ?? r.violation) }
      : {}),
    ...(shrunk
      ? { shrunk: { method: shrunk.method, before: shrunk.before, after: shrunk.after } }
      : {}),
  };
}

export function simulateText(
  title: string,
  target: TraceTarget,
  model: Model,
  r: SimulateResult,
  shrunk?: Shrunk,
): string {
  const lines = [`model ${title}: ${r.runs} random runs, ${r.steps} steps, seed ${r.seed}`];
  if (r.violation)
    lines.push(
      '',
      traceText(traceDoc(model, shrunk?.counterexample ?? r.violation, title, target)),
    );
  if (shrunk) lines.push('', shrunkText(shrunk));
  lines.push('', `result: ${r.violation ? 'violation' : 'ok'}`);
  return lines.join('\n');
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
