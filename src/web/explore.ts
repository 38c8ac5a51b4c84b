/**
 * Exploration in the view (septcheck view --explore): the path so far as a chart; at its end the
 * steps the model enables, one button each; Back; Branch here (from any earlier step); Save,
 * which downloads the path as a trace file that `septcheck replay` confirms. The server replays
 * the whole path on every request (GET /api/explore?path=0.3.1), so the page holds the state.
 */
import { api } from './api.js';
import { el } from './dom.js';

interface Enabled {
  index: number;
  action: string;
  process: string | null;
  call?: string;
  changes: string[];
}

interface Explored<Doc> {
  trace: Doc;
  path: number[];
  enabled: Enabled[];
  error?: string;
}

/** How the page shows a trace: at step `start`, with `panel(current)` above the state tables. */
export type ShowTrace<Doc> = (doc: Doc, start: number, panel: (current: number) => Node[]) => void;

export async function explore<Doc extends { steps: unknown[] }>(
  path: number[],
  show: ShowTrace<Doc>,
): Promise<void> {
  const response = await api(`/api/explore?path=${path.join('.')}`);
  const r = (await response.json()) as Explored<Doc>;
  if (r.error) {
    document.getElementById('app')!.replaceChildren(el('p', { class: 'error' }, r.error));
    return;
  }
  const go = (next: number[]) => void explore(next, show);
  const save = () => {
    const a = el('a', {
      href: URL.createObjectURL(
        new Blob([`${JSON.stringify(r.trace, null, 2)}\n`], { type: 'application/json' }),
      ),
      download: 'septcheck-path.json',
    });
    a.click();
    URL.revokeObjectURL(a.href);
  };
  const end = r.path.length;
  show(r.trace, end, (current) => {
    const tools = el(
      'div',
      { class: 'explore-tools' },
      button('back', 'Back', end > 0, () => go(r.path.slice(0, -1))),
      button('save', 'Save path', true, save),
      ...(current < end
        ? [
            button('branch', `Branch from step ${current}`, true, () =>
              go(r.path.slice(0, current)),
            ),
          ]
        : []),
    );
    if (current < end)
      return [
        tools,
        el(
          'p',
          { class: 'explore-note' },
          `Step ${current} of ${end}: branching drops the ${end - current} steps after it.`,
        ),
      ];
    const list = el('ol', { id: 'enabled', start: '0' });
    for (const e of r.enabled) {
      const item = el(
        'li',
        { 'data-index': String(e.index) },
        el('span', { class: 'process' }, e.process ?? ''),
        ' ',
        el('span', { class: 'action' }, e.action),
        e.call ? el('div', { class: 'call' }, e.call) : '',
        el('div', { class: 'changes' }, e.changes.join('; ')),
      );
      item.addEventListener('click', () => go([...r.path, e.index]));
      list.append(item);
    }
    return [
      tools,
      el(
        'h3',
        {},
        r.enabled.length
          ? `${r.enabled.length} steps enabled here: pick one`
          : 'nothing is enabled here',
      ),
      list,
    ];
  });
}

function button(
  id: string,
  text: string,
  enabled: boolean,
  onClick: () => void,
): HTMLButtonElement {
  const b = el('button', { id, type: 'button' }, text);
  b.disabled = !enabled;
  b.addEventListener('click', onClick);
  return b;
}
