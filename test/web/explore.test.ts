import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, Expander } from '../../src/engine/index.js';
import { Explorer, MAX_PATH } from '../../src/cli/explorer.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc } from '../../src/cli/trace-doc.js';
import { serveView } from '../../src/cli/view-server.js';
import { septcheck } from '../cli/run.js';
import { screenshotPath, useBrowser } from './browser.js';

const { open } = useBrowser();
const dir = mkdtempSync(join(tmpdir(), 'septcheck-explore-'));

describe('septcheck view --explore', () => {
  it('lists the enabled steps, takes one, backs up, branches, and saves paths that replay confirms', async () => {
    const t = await resolveTarget({
      scenario: 'basic',
      policy: 'nopin',
      faults: 'remove-fails=1',
      hvo: false,
    });
    const { server, url } = await serveView(undefined, 0, new Explorer(t.model, t.title, t.target));
    try {
      const page = await open(url);
      await page.waitForSelector('#enabled li');
      expect(await page.textContent('h1')).toBe('a path through the model');
      const first = new Expander(t.model).of(t.model.initial()[0]!);
      expect(await page.locator('#enabled li').count()).toBe(first.length);
      expect(await page.locator('#enabled li .action').allTextContents()).toEqual(
        first.map((n) => t.model.actions[n.action]!.name),
      );
      expect(await page.locator('#back').isDisabled()).toBe(true);

      // The shortest counterexample, picked step by step.
      const found = traceDoc(t.model, check(t.model).violation!, t.title, t.target);
      const path = Explorer.fromTrace(t.model, t.title, t.target, found.steps, 'check').start;
      for (const [i, k] of path.entries()) {
        await page.locator(`#enabled li[data-index="${k}"]`).click();
        await page.waitForFunction(
          (n) => document.querySelectorAll('rect.row').length === n,
          i + 2,
        );
      }
      expect(await page.textContent('h1')).toBe('invariant no-reuse-while-mapped violated');
      expect(await page.locator('rect.row.broken').getAttribute('data-step')).toBe('13');
      const saveAs = async (name: string) => {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
        const file = join(dir, name);
        await download.saveAs(file);
        return file;
      };
      const violating = await saveAs('violating.json');
      expect(septcheck('replay', violating).stdout).toBe(
        `${violating}: confirmed: all 13 steps replay and invariant no-reuse-while-mapped is still violated\n`,
      );
      await page.screenshot({ path: screenshotPath(dir, 'explore.png') });

      await page.click('#back');
      await page.waitForFunction(() => document.querySelectorAll('rect.row').length === 13);
      expect(await page.textContent('h1')).toBe('a path through the model');
      await page.locator('rect.row[data-step="7"]').click({ position: { x: 40, y: 11 } });
      await page.click('#branch');
      await page.waitForFunction(() => document.querySelectorAll('rect.row').length === 8);
      expect(await page.textContent('#detail h2')).toBe('7. vmm: tdx_sept_remove_private_spte');
      const branch = await saveAs('branch.json');
      expect(septcheck('replay', branch).stdout).toBe(
        `${branch}: confirmed: all 7 steps replay (a path: it claims no property)\n`,
      );
      expect(
        septcheck('view', '--explore', branch, '--scenario', 'basic', '--no-open').stderr,
      ).toBe('septcheck: view --explore: give a trace or --scenario, not both\n');
    } finally {
      server.close();
    }
  });

  it('bounds each request: at most MAX_PATH steps, successors that exist, nothing but indices', async () => {
    const t = await resolveTarget({ scenario: 'basic', policy: 'nopin', hvo: false });
    const { server, url } = await serveView(undefined, 0, new Explorer(t.model, t.title, t.target));
    try {
      // Every API call presents the run's token (the URL septcheck view printed carries it).
      const token = new URL(url).searchParams.get('token')!;
      const api = (path: string) =>
        fetch(new URL(`/api/explore?path=${path}`, url), {
          headers: { 'x-septcheck-token': token },
        });
      const get = async (path: string) =>
        (await (await api(path)).json()) as { error?: string; enabled?: unknown[] };
      expect((await get('')).enabled).toHaveLength(
        new Expander(t.model).of(t.model.initial()[0]!).length,
      );
      expect(
        (
          await get(
            Array(MAX_PATH + 1)
              .fill(0)
              .join('.'),
          )
        ).error,
      ).toBe(`path: ${MAX_PATH + 1} steps; at most ${MAX_PATH}`);
      expect((await get('0.99')).error).toMatch(
        /^path: step 2 picks successor 99, but only \d+ are enabled there$/,
      );
      expect((await get('../x.ts')).error).toBe(
        'path: "../x.ts" is not a list of successor indices like 0.3.1',
      );
    } finally {
      server.close();
    }
  });

  it('needs a trace or a scenario: one line, exit 2', () => {
    const r = septcheck('view', '--explore', '--no-open');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('septcheck: view --explore: give a trace or --scenario <name>\n');
  });
});
