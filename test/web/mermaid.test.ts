import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { traceDoc, traceMermaid } from '../../src/cli/trace-doc.js';
import { screenshotPath, useBrowser } from './browser.js';

const { open } = useBrowser();
const mermaidJs = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
const dir = mkdtempSync(join(tmpdir(), 'septcheck-mermaid-'));

describe('the Mermaid sequence diagram', () => {
  it('is parsed and drawn by Mermaid itself, every step a message or a note: the failed REMOVE, the pin lasso, a model of no kernel', async () => {
    const cases = [
      [{ scenario: 'basic', policy: 'nopin', faults: 'remove-fails=1' }, 11],
      [{ scenario: 'convert', policy: 'pin' }, 13],
      [{ model: 'naive-mutex', params: {} }, 4],
    ] as const;
    const page = await open('about:blank');
    await page.addScriptTag({ path: mermaidJs });
    for (const [k, [target, steps]] of cases.entries()) {
      const t = await resolveTarget(target);
      const text = traceMermaid(traceDoc(t.model, check(t.model).violation!, t.title, t.target));
      const svg = await page.evaluate(
        async ([t, id]) => {
          const m = (
            window as unknown as {
              mermaid: {
                initialize(o: object): void;
                render(id: string, t: string): Promise<{ svg: string }>;
              };
            }
          ).mermaid;
          m.initialize({ startOnLoad: false });
          return (await m.render(id, t)).svg; // throws on a syntax error
        },
        [text, `trace${k}`] as const,
      );
      for (let i = 1; i <= steps; i++) expect(svg).toContain(`>${i}. `);
      if (k === 0) {
        await page.setContent(`<body style="margin:0;background:#fff">${svg}</body>`);
        await page.locator('svg').screenshot({ path: screenshotPath(dir, 'mermaid.png') });
        await page.goto('about:blank');
        await page.addScriptTag({ path: mermaidJs });
      }
    }
  });
});
