import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc } from '../../src/cli/trace-doc.js';
import { serveView } from '../../src/cli/view-server.js';
import { screenshotPath, useBrowser } from './browser.js';

const { open } = useBrowser();

describe('septcheck view', () => {
  it('steps through the pin counterexample and highlights what each step changed', async () => {
    const t = await resolveTarget({ scenario: 'convert', policy: 'pin', hvo: false });
    const doc = traceDoc(t.model, check(t.model).violation!, t.title, t.target);
    const { server, url } = await serveView(doc, 0);
    try {
      const page = await open(url);
      await page.waitForSelector('rect.row');
      expect(await page.textContent('h1')).toBe('liveness conversion-completes@op0 violated');
      expect(await page.locator('rect.row').count()).toBe(14);
      expect(await page.locator('td.changed').count()).toBe(0);
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
      expect(await page.textContent('#detail h2')).toBe('3. vcpu0: kvm_mmu_faultin_pfn');
      expect(await page.textContent('#detail .where')).toBe('arch/x86/kvm/mmu/mmu.c');
      const refcount = page.locator('td[data-key="frame 0 refcount"]');
      expect(await refcount.textContent()).toBe('2 (page_cache 1, vcpu0 fault 1)');
      expect(await refcount.getAttribute('class')).toBe('changed');
      expect(await page.locator('table[data-row="page 0"] th').allTextContents()).toEqual([
        'page 0',
        'gfn',
        'mirror SPTE',
        'S-EPT',
        'PAMT',
        'owner',
        'refcount',
        'cache',
        'holds',
        'guest',
      ]);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      expect(await page.textContent('td[data-key="gfn 0 S-EPT"]')).toBe('PENDING');
      expect(await page.getAttribute('td[data-key="gfn 0 S-EPT"]', 'class')).toBe('changed');
      await page.keyboard.press('End');
      expect(await page.textContent('#detail h2')).toBe('13. vcpu0: tdx_vcpu_run');
      expect(await page.locator('rect.loop').count()).toBe(1);
      await page.keyboard.press('k');
      expect(await page.textContent('#detail h2')).toBe('12. vcpu0: TD exit (HLT or interrupt)');
      await page.screenshot({
        path: screenshotPath(mkdtempSync(join(tmpdir(), 'septcheck-view-')), 'view.png'),
      });
    } finally {
      server.close();
    }
  });

  it('without a trace shows the verdict table, each fail linking to its trace', async () => {
    const { server, url } = await serveView(undefined, 0);
    try {
      const page = await open(url);
      await page.waitForSelector('#claims');
      expect(await page.locator('#claims tr').count()).toBe(9); // a header and eight designs
      const pinFail = page.locator('#claims tr:nth-child(2) td.fail a');
      expect(await pinFail.textContent()).toBe('fail');
      await pinFail.click();
      await page.waitForSelector('rect.row');
      expect(await page.textContent('h1')).toBe('liveness conversion-completes@op0 violated');
      expect(await page.textContent('.title')).toBe(
        'tdx (scenario=convert policy=pin faults=none hvo=false tree=conversion-rfc; pin, ported onto conversion-rfc)',
      );
    } finally {
      server.close();
    }
  });
});
