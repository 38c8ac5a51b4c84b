import { traceChart } from '../cli/trace-chart.js';
import { drawChart, tone } from './chart.js';
import { api, token } from './api.js';
import { el } from './dom.js';
import { explore } from './explore.js';
import { chartCss } from './style.js';

/**
 * The trace view in the browser: the trace's sequence chart on the left (chart.ts), one row per
 * step; on the right every page (GFN, guest_memfd index and frame) and every other part of the
 * system as a row of facts, the facts the current step changed highlighted. Click a row to go
 * to its step. Without a trace, the verdict table, each fail or leak linking to its
 * counterexample; with --explore, a path being explored (explore.ts). Keys: Down/j next step,
 * Up/k previous, Home, End.
 */

interface Step {
  action: string | null;
  process: string | null;
  where?: string;
  call?: string;
  changes: string[];
  state: Record<string, string>;
}

interface TraceDoc {
  title: string;
  kind: string;
  property: string;
  doc: string;
  loopStart?: number;
  steps: Step[];
}

interface ClaimsCell {
  question: string;
  verdict: string;
  property?: string;
  command?: string;
}

interface Claims {
  questions: { id: string; title: string; doc: string }[];
  rows: { policy: string; doc: string; cells: ClaimsCell[] }[];
}

/** "gfn 0 S-EPT" -> row "page 0", column "S-EPT"; "kvm mmu_lock" -> row "kvm", column "mmu_lock". */
function place(key: string): [row: string, column: string] {
  const page = /^(gfn|frame|guest gfn) (\d+)(?: (.*))?$/.exec(key);
  if (page) return [`page ${page[2]}`, page[1] === 'guest gfn' ? 'guest' : (page[3] ?? page[1]!)];
  const space = key.indexOf(' ');
  return space < 0 ? [key, 'state'] : [key.slice(0, space), key.slice(space + 1)];
}

/** The keys of the trace on the page (one handler, however often the page is redrawn). */
let onKey: ((e: KeyboardEvent) => void) | undefined;
document.addEventListener('keydown', (e) => onKey?.(e));

/** Shows a trace at step `start`; `panel(current)`, if given, goes above the state tables. */
function showTrace(doc: TraceDoc, start = 0, panel?: (current: number) => Node[]): void {
  const root = document.getElementById('app')!;
  root.replaceChildren();
  let current = start;
  const heading =
    doc.kind === 'path' ? 'a path through the model' : `${doc.kind} ${doc.property} violated`;
  const header = el(
    'header',
    {},
    el('h1', {}, heading),
    el('p', { class: 'doc' }, doc.doc),
    el('p', { class: 'title' }, doc.title),
  );
  const labels = doc.steps.map((s, i) =>
    i === 0 ? '0  initial state' : `${i}  ${s.process ?? '-'}  ${s.action ?? ''}`,
  );
  const chart = drawChart(traceChart(doc), labels);
  const pane = el(
    'nav',
    { id: 'chart' },
    el('div', { class: 'chart-sticky' }, chart.head, legend()),
    chart.body,
  );
  const grid = el('div', { id: 'grid' });
  const detail = el('div', { id: 'detail' });
  const extra = el('div', { id: 'panel' });
  chart.body.addEventListener('click', (e) => {
    const step = (e.target as Element).closest('[data-step]')?.getAttribute('data-step');
    if (step !== null && step !== undefined) select(Number(step));
  });
  root.append(header, el('main', {}, pane, el('section', {}, detail, extra, grid)));

  const rows = new Map<string, Map<string, string>>();
  for (const key of Object.keys(doc.steps[0]!.state)) {
    const [row, column] = place(key);
    if (!rows.has(row)) rows.set(row, new Map());
    rows.get(row)!.set(column, key);
  }

  function select(i: number): void {
    current = Math.max(0, Math.min(doc.steps.length - 1, i));
    const step = doc.steps[current]!;
    const before = doc.steps[current - 1]?.state;
    chart.rows.forEach((r, k) => r.classList.toggle('current', k === current));
    chart.rows[current]!.scrollIntoView({ block: 'nearest' });
    detail.replaceChildren(
      el('h2', {}, current === 0 ? 'initial state' : `${current}. ${step.process}: ${step.action}`),
      el('p', { class: 'where' }, step.where ?? ''),
      el('p', { class: 'call' }, step.call ?? ''),
      ...(doc.loopStart === current
        ? [
            el(
              'p',
              { class: 'loopnote' },
              'The steps after this one repeat forever, back to this state.',
            ),
          ]
        : []),
    );
    if (panel) extra.replaceChildren(...panel(current));
    const tables: HTMLElement[] = [];
    for (const [row, columns] of rows) {
      const table = el('table', { 'data-row': row });
      const head = el('tr', {}, el('th', { class: 'rowname' }, row));
      const body = el('tr', {}, el('td', { class: 'rowname' }));
      for (const [column, key] of columns) {
        head.append(el('th', {}, column));
        const changed = before !== undefined && before[key] !== step.state[key];
        body.append(
          el('td', { 'data-key': key, class: changed ? 'changed' : '' }, step.state[key] ?? ''),
        );
      }
      table.append(head, body);
      tables.push(table);
    }
    grid.replaceChildren(...tables);
  }

  onKey = (e) => {
    if (e.key === 'ArrowDown' || e.key === 'j') select(current + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') select(current - 1);
    else if (e.key === 'Home') select(0);
    else if (e.key === 'End') select(doc.steps.length - 1);
    else return;
    e.preventDefault();
  };
  select(start);
}

/** What the chart's colours and bars mean. */
function legend(): HTMLElement {
  const swatch = (colour: string, text: string) =>
    el('span', { class: 'swatch' }, el('i', { style: `background:${colour}` }), text);
  return el(
    'div',
    { class: 'legend' },
    'frames: O owner, R refcount, S S-EPT, P PAMT. ',
    swatch(tone('owner', 'guest_memfd'), 'guest_memfd / MAPPED'),
    swatch(tone('sept', 'PENDING'), 'PENDING'),
    swatch(tone('sept', 'BLOCKED'), 'BLOCKED'),
    swatch(tone('owner', 'HOST (reused)'), 'reused by the host'),
    swatch(tone('pamt', 'PT_REG'), 'PT_REG'),
    swatch(tone('owner', 'free'), 'free / FREE / PT_NDA'),
    ' locks: ',
    swatch('#3f6fd1', 'mmu_lock'),
    swatch('#9b4fc0', 'filemap_invalidate_lock'),
    ' (pale: read)',
  );
}

function showClaims(claims: Claims): void {
  const root = document.getElementById('app')!;
  const table = el('table', { id: 'claims' });
  table.append(
    el(
      'tr',
      {},
      el('th', {}, 'policy'),
      ...claims.questions.map((q) => el('th', { title: q.doc }, q.title)),
    ),
  );
  for (const row of claims.rows) {
    const tr = el('tr', {}, el('th', { title: row.doc }, row.policy));
    for (const cell of row.cells) {
      const content = cell.command
        ? el(
            'a',
            {
              href: `/?token=${encodeURIComponent(token)}&command=${encodeURIComponent(cell.command)}`,
              title: `${cell.property}: ${cell.command}`,
            },
            cell.verdict,
          )
        : cell.verdict;
      tr.append(el('td', { class: cell.verdict }, content));
    }
    table.append(tr);
  }
  root.replaceChildren(
    el(
      'header',
      {},
      el('h1', {}, 'septcheck: the verdict table'),
      el('p', { class: 'doc' }, 'Each fail or leak links to its shortest counterexample.'),
    ),
    table,
  );
}

async function main(): Promise<void> {
  document.head.append(el('style', {}, chartCss));
  const command = new URLSearchParams(location.search).get('command');
  const response = await api(
    command !== null ? `/api/trace?command=${encodeURIComponent(command)}` : '/api/start',
  );
  if (!response.ok) {
    document
      .getElementById('app')!
      .replaceChildren(el('p', { class: 'error' }, await response.text()));
    return;
  }
  const body = (await response.json()) as {
    trace?: TraceDoc;
    claims?: Claims;
    explore?: { path: number[] };
    error?: string;
  };
  if (body.error)
    document.getElementById('app')!.replaceChildren(el('p', { class: 'error' }, body.error));
  else if (body.explore) await explore<TraceDoc>(body.explore.path, showTrace);
  else if (body.trace) showTrace(body.trace);
  else if (body.claims) showClaims(body.claims);
}

void main();
