/**
 * The sequence chart of a trace as SVG: time runs down, one row per step; a lane per process and
 * per kernel part (trace-chart.ts decides which); SEAMCALL arrows labelled with their status
 * (red when it is an error); lock holds as bars beside the holder's lane; at the right, per
 * frame, four colour-coded cells per step (owner, refcount, S-EPT, PAMT). The header is a
 * separate SVG so it can stay in view while a long trace scrolls.
 */
import type { Chart } from '../cli/trace-chart.js';

const SVG = 'http://www.w3.org/2000/svg';
export const ROW = 22;
const LABEL_W = 230;
/** A process lane is narrower than a kernel part's, whose name is longer. */
const laneWidth = (kind: 'process' | 'kernel') => (kind === 'process' ? 78 : 112);
const CELL = 18;
const FRAME_GAP = 12;
const HEAD = 46;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

const tip = (text: string) => svg('title', {}, text);

/** The colour of a frame fact: one hue per meaning, the same in every trace. */
export function tone(fact: 'owner' | 'refcount' | 'sept' | 'pamt', value: string): string {
  if (fact === 'owner')
    return value === 'free' ? '#e4e4e4' : value === 'guest_memfd' ? '#9bd69b' : '#e0554f';
  if (fact === 'pamt') return value === 'PT_REG' ? '#8fb8f2' : '#e4e4e4';
  if (fact === 'sept') {
    if (value.startsWith('MAPPED')) return '#9bd69b';
    if (value.startsWith('PENDING_BLOCKED') || value.startsWith('BLOCKED')) return '#f5a04a';
    if (value.startsWith('PENDING')) return '#f4dc6a';
    return '#e4e4e4';
  }
  const n = parseInt(value, 10);
  return ['#f2f2f2', '#d3e4fb', '#a9c9f5', '#7eaaea'][Math.min(3, Number.isNaN(n) ? 0 : n)]!;
}

const lockColour: Record<string, string> = {
  mmu_lock: '#3f6fd1',
  filemap_invalidate_lock: '#9b4fc0',
};
const lockOffset: Record<string, number> = { mmu_lock: -10, filemap_invalidate_lock: 5 };
const factNames = ['owner', 'refcount', 'S-EPT', 'PAMT'] as const;

export interface DrawnChart {
  readonly head: SVGSVGElement;
  readonly body: SVGSVGElement;
  /** the row of each step, to highlight and scroll to */
  readonly rows: SVGRectElement[];
}

/** `labels[i]`: the text of step i's row ("3  vcpu0  kvm_mmu_faultin_pfn"). */
export function drawChart(chart: Chart, labels: string[]): DrawnChart {
  const laneX = new Map<string, number>();
  let lanesEnd = LABEL_W;
  for (const l of chart.lanes) {
    laneX.set(l.name, lanesEnd + laneWidth(l.kind) / 2);
    lanesEnd += laneWidth(l.kind);
  }
  const stripsX = lanesEnd + FRAME_GAP;
  const width = stripsX + chart.frames.length * (4 * CELL + FRAME_GAP);
  const height = labels.length * ROW + (chart.loop ? 22 : 8);
  const y = (step: number) => step * ROW + ROW / 2;

  const head = svg('svg', { width, height: HEAD, class: 'chart-head' });
  head.append(svg('text', { x: 8, y: 28, class: 'lane-name' }, 'step  process  action'));
  for (const l of chart.lanes)
    head.append(
      svg(
        'text',
        {
          x: laneX.get(l.name)!,
          y: 28,
          class: `lane-name ${l.kind}`,
          'text-anchor': 'middle',
          'data-lane': l.name,
        },
        l.name,
      ),
    );
  chart.frames.forEach((f, k) => {
    const x = stripsX + k * (4 * CELL + FRAME_GAP);
    head.append(
      svg(
        'text',
        { x: x + 2 * CELL, y: 16, class: 'lane-name', 'text-anchor': 'middle' },
        `frame ${f.frame}`,
      ),
    );
    factNames.forEach((n, j) =>
      head.append(
        svg(
          'text',
          { x: x + j * CELL + CELL / 2, y: 38, class: 'fact-name', 'text-anchor': 'middle' },
          n[0]!.toUpperCase(),
          tip(n),
        ),
      ),
    );
  });

  const body = svg('svg', { width, height, class: 'chart-body' });
  const defs = svg('defs', {});
  for (const [id, colour] of [
    ['arrow', '#444'],
    ['arrow-err', '#c62828'],
  ] as const) {
    defs.append(
      svg(
        'marker',
        {
          id,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: colour }),
      ),
    );
  }
  body.append(defs);

  const rows = labels.map((label, i) => {
    const row = svg('rect', {
      x: 0,
      y: i * ROW,
      width,
      height: ROW,
      class: `row${chart.broken === i ? ' broken' : ''}`,
      'data-step': i,
    });
    // Cut to the label column (monospace, 11px: about 6.6px a character); the tooltip has it all.
    const shown = label.length > 33 ? `${label.slice(0, 32)}…` : label;
    body.append(
      row,
      svg('text', { x: 8, y: y(i) + 4, class: 'row-label', 'data-step': i }, shown, tip(label)),
    );
    return row;
  });
  for (const l of chart.lanes)
    body.append(
      svg('line', {
        x1: laneX.get(l.name)!,
        x2: laneX.get(l.name)!,
        y1: 0,
        y2: height,
        class: `lane ${l.kind}`,
      }),
    );

  if (chart.loop && chart.loop.from < labels.length - 1) {
    const top = (chart.loop.from + 1) * ROW + 1;
    const bottom = labels.length * ROW - 1;
    body.append(
      svg('rect', {
        x: LABEL_W - 6,
        y: top,
        width: lanesEnd - LABEL_W + 4,
        height: bottom - top,
        class: 'loop',
      }),
      svg(
        'text',
        { x: LABEL_W - 2, y: bottom + 13, class: 'loop-label' },
        `loop: the steps in the box repeat forever, back to the state after step ${chart.loop.from}`,
      ),
    );
  }

  for (const h of chart.locks) {
    const x = (laneX.get(h.holder) ?? LABEL_W) + (lockOffset[h.lock] ?? 0);
    body.append(
      svg(
        'rect',
        {
          x,
          y: y(h.from),
          width: 5,
          height: Math.max(3, y(h.to) - y(h.from)),
          fill: lockColour[h.lock] ?? '#777',
          class: `lock ${h.mode}`,
          'data-lock': h.lock,
          'data-holder': h.holder,
          'data-from': h.from,
          'data-to': h.to,
        },
        tip(`${h.holder} holds ${h.lock} (${h.mode}) from step ${h.from} to ${h.to}`),
      ),
    );
  }

  for (const a of chart.arrows) {
    const x1 = laneX.get(a.from)!;
    const x2 = laneX.get(a.to)!;
    const yy = y(a.step);
    const cls = a.ok ? '' : ' err';
    if (x1 === x2) {
      body.append(
        svg(
          'circle',
          { cx: x1, cy: yy, r: 3.5, class: `self${cls}`, 'data-step': a.step },
          tip(a.label),
        ),
      );
      continue;
    }
    const gap = 4 * Math.sign(x2 - x1);
    body.append(
      svg(
        'line',
        {
          x1: x1 + gap,
          x2: x2 - gap,
          y1: yy,
          y2: yy,
          class: `arrow${cls}`,
          'marker-end': `url(#arrow${a.ok ? '' : '-err'})`,
          'data-step': a.step,
        },
        tip(a.label),
      ),
    );
    if (a.leaves.length > 0) {
      const text = `${a.leaves.join(', ')}${a.status !== undefined ? ` → ${a.status}` : ''}`;
      // Right-aligned against the module's lane: the arrow's far end, where the status comes from.
      body.append(
        svg(
          'text',
          { x: x2 - 8, y: yy - 3, 'text-anchor': 'end', class: `call${cls}`, 'data-step': a.step },
          text,
          tip(text),
        ),
      );
    }
  }

  chart.frames.forEach((f, k) => {
    const x = stripsX + k * (4 * CELL + FRAME_GAP);
    const columns = [
      ['owner', f.owner],
      ['refcount', f.refcount],
      ['sept', f.sept],
      ['pamt', f.pamt],
    ] as const;
    columns.forEach(([fact, values], j) => {
      values.forEach((value, i) => {
        const changed = i > 0 && values[i - 1] !== value;
        const cell = svg(
          'rect',
          {
            x: x + j * CELL,
            y: i * ROW + 2,
            width: CELL - 2,
            height: ROW - 4,
            fill: tone(fact, value),
            class: `cell${changed ? ' changed' : ''}`,
            'data-frame': f.frame,
            'data-fact': fact,
            'data-step': i,
            'data-value': value,
          },
          tip(`frame ${f.frame} ${factNames[j]}: ${value}`),
        );
        body.append(cell);
        if (fact === 'refcount')
          body.append(
            svg(
              'text',
              {
                x: x + j * CELL + (CELL - 2) / 2,
                y: y(i) + 4,
                'text-anchor': 'middle',
                class: 'cell-text',
              },
              String(parseInt(value, 10)),
            ),
          );
      });
    });
  });
  return { head, body, rows };
}
