import { GMEM_MM, KVM_MMU, TDX_MODULE, traceChart } from './trace-chart.js';
import {
  diffViews,
  formatValue,
  viewState,
  type Counterexample,
  type Model,
} from '../engine/index.js';

/** What to rebuild to replay a trace: the command-line arguments that named the model. */
export interface TraceTarget {
  readonly model?: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly scenario?: string;
  readonly policy?: string;
  readonly faults?: string;
  readonly hvo?: boolean;
  readonly withoutPageExt?: boolean;
  /** the kernel tree the TDX system models (src/kernel/trees.ts); as resolved, in a trace file */
  readonly tree?: string;
  /** the TDX module (src/kernel/module.ts); in a trace file only when not 1.5 */
  readonly module?: string;
}

export interface DocStep {
  readonly action: string | null;
  readonly process: string | null;
  /** where the step lives (a kernel source file) */
  readonly where?: string;
  /** the call, its arguments and its result */
  readonly call?: string;
  /** only what changed, as `fact: before -> after` */
  readonly changes: string[];
  readonly state: Record<string, unknown>;
}

/** A counterexample as a self-contained document: the trace file, and what every format prints. */
export interface TraceDoc {
  readonly format: 'septcheck-trace/1';
  readonly title: string;
  readonly target: TraceTarget;
  readonly kind: string;
  readonly property: string;
  readonly doc: string;
  readonly loopStart?: number;
  readonly fairness?: string[];
  readonly steps: DocStep[];
}

/** Each step of a counterexample as it reads: action, process, where, the call, the state viewed. */
export function describeSteps(model: Model, c: Counterexample): Omit<DocStep, 'changes'>[] {
  return c.trace.map((t, i) => {
    const action = t.actionIndex >= 0 ? model.actions[t.actionIndex] : undefined;
    const call = i > 0 ? action?.explain?.(c.trace[i - 1]!.state, t.state) : undefined;
    return {
      action: t.action,
      process: t.process,
      ...(action?.where ? { where: action.where } : {}),
      ...(call ? { call } : {}),
      state: viewState(model, t.state),
    };
  });
}

export function traceDoc(
  model: Model,
  c: Counterexample,
  title: string,
  target: TraceTarget,
): TraceDoc {
  const described = describeSteps(model, c);
  const steps = described.map((s, i): DocStep => ({
    ...s,
    changes: i > 0 ? diffViews(described[i - 1]!.state, s.state) : [],
  }));
  return {
    format: 'septcheck-trace/1',
    title,
    target,
    kind: c.kind,
    property: c.property,
    doc: c.doc,
    ...(c.loopStart !== undefined ? { loopStart: c.loopStart } : {}),
    ...(c.fairness ? { fairness: c.fairness } : {}),
    steps,
  };
}

const label = (d: TraceDoc) =>
  d.kind === 'invariant'
    ? `invariant ${d.property}`
    : d.kind === 'deadlock'
      ? 'deadlock'
      : `${d.kind} ${d.property}`;

/** Words of `text` in lines of at most `width` columns, each starting with `indent`. */
function wrap(text: string, indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(' ')) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? ' ' : '') + word;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}

/** A numbered call trace for a terminal or an email, 80 columns wide. */
export function traceText(d: TraceDoc, width = 80): string {
  const out: string[] = wrap(`${label(d)} violated (${d.title})`, '', width);
  const pad = String(d.steps.length - 1).length;
  const body = ' '.repeat(pad + 2);
  d.steps.forEach((s, i) => {
    const n = String(i).padStart(pad);
    if (i === 0) {
      out.push(`${n}  initial state`);
      for (const [k, v] of Object.entries(s.state))
        out.push(...wrap(`${k}: ${formatValue(v)}`, `${body}  `, width));
    } else {
      const head = `${n}  ${s.process ?? '-'}  ${s.action}`;
      const where = s.where ? `  ${s.where}` : '';
      if (head.length + where.length <= width) out.push(head + where);
      else out.push(head, ...(s.where ? [`${body}${s.where}`] : []));
      if (s.call) out.push(...wrap(s.call, body, width));
      for (const change of s.changes) out.push(...wrap(change, `${body}  `, width));
    }
    if (d.loopStart === i && i < d.steps.length - 1)
      out.push(`${body}-- loop: the steps below repeat forever, back to this state --`);
  });
  if (d.loopStart === d.steps.length - 1)
    out.push(`${body}-- the system stays in this state forever --`);
  if (d.fairness)
    out.push(
      ...wrap(
        `fairness respected: ${d.fairness.length ? d.fairness.join(', ') : 'none (checked without fairness)'}`,
        body,
        width,
      ),
    );
  out.push(...wrap(`${d.property}: ${d.doc}`, '', width));
  return out.join('\n');
}

export function traceMarkdown(d: TraceDoc): string {
  const out = [`### ${label(d)} violated`, '', `${d.title}. ${d.doc}`, ''];
  d.steps.forEach((s, i) => {
    if (i === 0) {
      out.push(`0. initial state`);
      return;
    }
    if (d.loopStart === i - 1)
      out.push(
        '',
        `*From here on the steps repeat forever, back to the state after step ${i - 1}:*`,
        '',
      );
    out.push(
      `${i}. **${s.process ?? '-'}** \`${s.action}\`${s.where ? ` (${s.where})` : ''}${s.call ? `: ${s.call}` : ''}`,
    );
    for (const c of s.changes) out.push(`   - ${c}`);
  });
  if (d.loopStart === d.steps.length - 1)
    out.push('', '*The system stays in the last state forever.*');
  if (d.fairness?.length) out.push('', `Fairness respected: ${d.fairness.join(', ')}.`);
  return out.join('\n');
}

/** A Mermaid sequence diagram with the chart's lanes and arrows (trace-chart.ts): a SEAMCALL
 * goes to the TDX module and its status comes back; a lock hold activates the holder's lifeline;
 * a lasso's loop is a `loop` block; a broken property is a note on the last step. */
export function traceMermaid(d: TraceDoc): string {
  const clean = (t: string) => t.replace(/;/g, ',').replace(/#/g, '#35;');
  const chart = traceChart(d);
  const kernelIds: Record<string, string> = {
    [KVM_MMU]: 'kvm_mmu',
    [GMEM_MM]: 'gmem_mm',
    [TDX_MODULE]: 'tdx_module',
  };
  const ids = new Map(
    chart.lanes.map((l) => [
      l.name,
      l.kind === 'kernel' ? kernelIds[l.name]! : l.name.replace(/\W/g, '_'),
    ]),
  );
  const id = (lane: string) => ids.get(lane)!;
  // A trace of no process (a model without processes) still needs a lifeline to draw on.
  if (chart.lanes.length === 0)
    return ['sequenceDiagram', '  participant model', `  Note over model: ${clean(d.title)}`].join(
      '\n',
    );
  const out = [
    'sequenceDiagram',
    ...chart.lanes.map((l) =>
      id(l.name) === l.name
        ? `  participant ${l.name}`
        : `  participant ${id(l.name)} as ${l.name}`,
    ),
  ];
  const all = `${id(chart.lanes[0]!.name)},${id(chart.lanes[chart.lanes.length - 1]!.name)}`;
  out.push(`  Note over ${all}: ${clean(d.title)}`);
  for (const a of chart.arrows) {
    if (chart.loop && a.step === chart.loop.from + 1) out.push('  loop forever');
    const indent = chart.loop && a.step > chart.loop.from ? '    ' : '  ';
    const text = `${a.step}. ${clean(a.label)}${a.leaves.length && !a.label.startsWith('TD') ? `: ${a.leaves.join(', ')}` : ''}`;
    if (a.to === a.from) out.push(`${indent}Note over ${id(a.from)}: ${text}`);
    else out.push(`${indent}${id(a.from)}->>${id(a.to)}: ${text}`);
    if (a.status !== undefined)
      out.push(`${indent}${id(a.to)}-->>${id(a.from)}: ${clean(a.status)}`);
    for (const h of chart.locks) {
      if (h.holder === a.from && h.to === a.step && !h.held)
        out.push(`${indent}deactivate ${id(h.holder)}`);
    }
    for (const h of chart.locks) {
      if (h.holder === a.from && h.from === a.step)
        out.push(
          `${indent}activate ${id(h.holder)}`,
          `${indent}Note left of ${id(h.holder)}: holds ${h.lock} (${h.mode})`,
        );
    }
  }
  if (chart.loop && chart.loop.from < d.steps.length - 1) out.push('  end');
  // Mermaid draws an activation only once it ends: the locks still held end with the trace.
  for (const h of chart.locks) if (h.held) out.push(`  deactivate ${id(h.holder)}`);
  out.push(`  Note over ${all}: ${clean(`${label(d)} violated`)}`);
  return out.join('\n');
}
