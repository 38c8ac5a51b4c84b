import { diffViews, formatValue, viewState, type CheckResult, type Counterexample, type Model, type SimulateResult } from '../engine/index.js';

export type ReportParams = Readonly<Record<string, string | number | boolean>>;

export interface JsonStep {
  action: string | null;
  process: string | null;
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
    trace: c.trace.map((t) => ({ action: t.action, process: t.process, state: viewState(model, t.state) })),
    ...(c.loopStart !== undefined ? { loopStart: c.loopStart } : {}),
    ...(c.fairness ? { fairness: c.fairness } : {}),
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

export function checkJson(name: string, params: ReportParams, model: Model, r: CheckResult): Record<string, unknown> & { result: string } {
  return {
    model: name,
    params,
    result: outcome(r),
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    distinctStates: r.distinctStates,
    transitions: r.transitions,
    depth: r.depth,
    seconds: round(r.seconds),
    statesPerSecond: r.statesPerSecond,
    collisionProbability: r.collisionProbability,
    bytesPerState: r.bytesPerState,
    ...(r.violation ? { violation: counterexampleJson(model, r.violation) } : {}),
    findings: r.findings.map((f) => counterexampleJson(model, f)),
  };
}

export function checkText(name: string, params: ReportParams, model: Model, r: CheckResult): string {
  const lines: string[] = [];
  const p = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(`model ${name}${p ? ` (${p})` : ''}`);
  if (r.violation) lines.push('', ...counterexampleText(model, r.violation));
  for (const f of r.findings) lines.push('', ...counterexampleText(model, f));
  lines.push('');
  const verdict = outcome(r);
  const why = r.stoppedBy ? ` (stopped by --${r.stoppedBy})` : '';
  lines.push(`result: ${verdict}${why}${verdict === 'leak' ? ' (a deliberate leak: memory lost, nothing corrupted; weaker than a safety violation)' : ''}`);
  lines.push(
    `${r.distinctStates.toLocaleString('en-US')} distinct states, ${r.transitions.toLocaleString('en-US')} transitions, depth ${r.depth}, ` +
      `${round(r.seconds)} s (${r.statesPerSecond.toLocaleString('en-US')} states/s)`,
  );
  lines.push(`fingerprint collision probability (optimistic, as TLC computes it): ${r.collisionProbability.toExponential(1)}`);
  return lines.join('\n');
}

export function simulateJson(name: string, params: ReportParams, model: Model, r: SimulateResult): Record<string, unknown> {
  return {
    model: name,
    params,
    result: r.violation ? (r.violation.kind === 'invariant' || r.violation.kind === 'deadlock' ? 'violation' : r.violation.kind) : 'ok',
    runs: r.runs,
    steps: r.steps,
    seed: r.seed,
    seconds: round(r.seconds),
    ...(r.violation ? { violation: counterexampleJson(model, r.violation) } : {}),
  };
}

export function simulateText(name: string, model: Model, r: SimulateResult): string {
  const lines = [`model ${name}: ${r.runs} random runs, ${r.steps} steps, seed ${r.seed}`];
  if (r.violation) lines.push('', ...counterexampleText(model, r.violation));
  lines.push('', `result: ${r.violation ? 'violation' : 'ok'}`);
  return lines.join('\n');
}

/** A counterexample step by step: the action, its process, and only what changed. */
export function counterexampleText(model: Model, c: Counterexample): string[] {
  const label = c.kind === 'invariant' ? `invariant ${c.property}` : c.kind === 'deadlock' ? 'deadlock' : `${c.kind} ${c.property}`;
  const lines = [`${label} violated: ${c.doc}`];
  let before: Record<string, unknown> | undefined;
  c.trace.forEach((t, i) => {
    const view = viewState(model, t.state);
    const mark = c.loopStart === i ? ' <- loop starts here' : '';
    if (!before) {
      lines.push(`${String(i).padStart(3)}  initial state${mark}`);
      for (const [k, v] of Object.entries(view)) lines.push(`       ${k}: ${formatValue(v)}`);
    } else {
      const action = model.actions[t.actionIndex];
      const extra = action?.explain ? `  ${action.explain(c.trace[i - 1]!.state, t.state)}` : '';
      lines.push(`${String(i).padStart(3)}  ${t.process ?? '-'}  ${t.action}${extra}${mark}`);
      for (const d of diffViews(before, view)) lines.push(`       ${d}`);
    }
    before = view;
  });
  if (c.loopStart !== undefined) {
    lines.push(c.loopStart === c.trace.length - 1 ? '       (stays here forever: nothing is enabled)' : `       (back to step ${c.loopStart}, and around again forever)`);
  }
  if (c.fairness) lines.push(`       fairness respected: ${c.fairness.length ? c.fairness.join(', ') : 'none (checked without fairness)'}`);
  return lines;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
