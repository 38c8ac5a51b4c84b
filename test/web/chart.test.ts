import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, simulate } from '../../src/engine/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc } from '../../src/cli/trace-doc.js';
import { serveView } from '../../src/cli/view-server.js';
import { screenshotPath, useBrowser } from './browser.js';

const { open } = useBrowser();
const shots = mkdtempSync(join(tmpdir(), 'septcheck-chart-'));

describe('the sequence chart', () => {
  it('draws the reuse after a failed REMOVE: lanes, SEAMCALL arrows, lock bars, frame strips, the broken step', async () => {
    const t = await resolveTarget({
      scenario: 'basic',
      policy: 'nopin',
      faults: 'remove-fails=1',
      hvo: false,
    });
    const doc = traceDoc(t.model, check(t.model).violation!, t.title, t.target);
    const { server, url } = await serveView(doc, 0);
    try {
      const page = await open(url);
      await page.waitForSelector('rect.row');
      expect(await page.locator('text.lane-name[data-lane]').allTextContents()).toEqual([
        'vmm',
        'host',
        'KVM MMU',
        'guest_memfd / mm',
        'TDX module',
      ]);
      expect(
        (await page.locator('line.arrow').count()) + (await page.locator('circle.self').count()),
      ).toBe(13);
      const calls = await page
        .locator('text.call')
        .evaluateAll((es) =>
          es.map((e) => [
            e.getAttribute('data-step'),
            e.childNodes[0]!.textContent,
            e.classList.contains('err'),
          ]),
        );
      expect(calls).toEqual([
        ['2', 'TDH.MEM.PAGE.ADD → TDX_SUCCESS', false],
        ['3', 'TDH.MR.EXTEND', false],
        ['4', 'TDH.MR.FINALIZE → TDX_SUCCESS', false],
        ['7', 'TDH.MEM.RANGE.BLOCK → TDX_SUCCESS', false],
        ['8', 'TDH.MEM.TRACK → TDX_SUCCESS', false],
        ['10', 'TDH.MEM.PAGE.REMOVE → TDX_EPT_ENTRY_STATE_INCORRECT', true],
      ]);
      const locks = await page
        .locator('rect.lock')
        .evaluateAll((es) =>
          es.map((e) =>
            ['lock', 'holder', 'from', 'to']
              .map((a) => e.getAttribute(`data-${a}`))
              .concat(e.getAttribute('class')),
          ),
        );
      expect(locks).toEqual([
        ['filemap_invalidate_lock', 'vmm', '1', '3', 'lock write'],
        ['filemap_invalidate_lock', 'vmm', '5', '13', 'lock write'],
        ['mmu_lock', 'vmm', '6', '11', 'lock write'],
      ]);
      // Every strip cell is the trace's fact at that step, coloured by its meaning.
      for (const [fact, key] of [
        ['owner', 'frame 0 owner'],
        ['refcount', 'frame 0 refcount'],
        ['sept', 'gfn 0 S-EPT'],
        ['pamt', 'frame 0 PAMT'],
      ] as const) {
        const values = await page
          .locator(`rect.cell[data-frame="0"][data-fact="${fact}"]`)
          .evaluateAll((es) => es.map((e) => e.getAttribute('data-value')));
        expect(values).toEqual(doc.steps.map((s) => s.state[key]));
      }
      const reused = page.locator('rect.cell[data-frame="0"][data-fact="owner"][data-step="13"]');
      expect(await reused.getAttribute('data-value')).toBe('HOST (reused)');
      expect(await reused.getAttribute('fill')).toBe('#e0554f');
      expect(
        await page
          .locator('rect.cell[data-frame="0"][data-fact="sept"][data-step="7"]')
          .getAttribute('fill'),
      ).toBe('#f5a04a'); // BLOCKED
      expect(await page.locator('rect.row.broken').getAttribute('data-step')).toBe('13');
      // The mouse picks a step; the keys go on from there.
      await page.locator('rect.row[data-step="10"]').click({ position: { x: 40, y: 11 } }); // on the step's text
      expect(await page.textContent('#detail h2')).toBe('10. vmm: tdx_sept_remove_private_spte');
      expect(await page.locator('rect.row.current').getAttribute('data-step')).toBe('10');
      await page.keyboard.press('j');
      expect(await page.textContent('#detail h2')).toBe('11. vmm: KVM_MMU_UNLOCK (write)');
      await page.keyboard.press('k');
      await page.screenshot({ path: screenshotPath(shots, 'chart.png') });
    } finally {
      server.close();
    }
  });

  it('keeps a 150-step path readable: one row a step, no label over another, the header in view at the end', async () => {
    const t = await resolveTarget({ scenario: 'host', policy: 'nopin', hvo: false });
    const run = simulate(t.model, { runs: 1, depth: 150, seed: 3 }).lastRun;
    expect(run).toHaveLength(151);
    const doc = traceDoc(
      t.model,
      { kind: 'path', property: '', doc: 'A random run of 150 steps.', trace: run },
      t.title,
      t.target,
    );
    const { server, url } = await serveView(doc, 0);
    try {
      const page = await open(url);
      await page.waitForSelector('rect.row');
      expect(await page.textContent('h1')).toBe('a path through the model');
      expect(await page.locator('rect.row').count()).toBe(151);
      expect(await page.locator('rect.row.broken').count()).toBe(0);
      const labels = await page.locator('text.row-label').evaluateAll((es) =>
        es.map((e) => {
          const r = e.getBoundingClientRect();
          return {
            top: r.top,
            bottom: r.bottom,
            right: r.right,
            size: parseFloat(getComputedStyle(e).fontSize),
          };
        }),
      );
      const lanesStart = await page
        .locator('text.lane-name[data-lane]')
        .first()
        .evaluate((e) => e.getBoundingClientRect().left);
      labels.forEach((l, i) => {
        expect(l.size).toBeGreaterThanOrEqual(11);
        expect(l.right).toBeLessThan(lanesStart); // the step's text stays out of the lanes
        if (i > 0) expect(l.top).toBeGreaterThanOrEqual(labels[i - 1]!.bottom);
      });
      const width = await page
        .locator('svg.chart-body')
        .evaluate((e) => e.getBoundingClientRect().right);
      const calls = await page
        .locator('text.call')
        .evaluateAll((es) => es.map((e) => e.getBoundingClientRect().right));
      expect(calls.length).toBeGreaterThan(20);
      for (const right of calls) expect(right).toBeLessThanOrEqual(width);
      await page.keyboard.press('End');
      expect(await page.textContent('#detail h2')).toBe(
        `150. ${doc.steps[150]!.process}: ${doc.steps[150]!.action}`,
      );
      const pane = await page.locator('nav#chart').evaluate((e) => ({
        top: e.getBoundingClientRect().top,
        bottom: e.getBoundingClientRect().top + e.clientHeight,
      })); // without its scroll bar
      const last = await page
        .locator('rect.row[data-step="150"]')
        .evaluate((e) => e.getBoundingClientRect().toJSON());
      const head = await page
        .locator('svg.chart-head')
        .evaluate((e) => e.getBoundingClientRect().toJSON());
      expect(last.bottom).toBeLessThanOrEqual(pane.bottom + 1); // within a pixel: layout rounds
      expect(last.top).toBeGreaterThanOrEqual(head.bottom);
      expect(head.top).toBeGreaterThanOrEqual(pane.top);
      await page.screenshot({ path: screenshotPath(shots, 'chart-150.png') });
    } finally {
      server.close();
    }
  });
});
