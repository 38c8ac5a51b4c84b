import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

/** Debian's chromium driven by playwright-core (no browser download, no network), launched once
 * per test file; `open` loads a page in a 1400x900 window. */
export function useBrowser(): { open(url: string): Promise<Page> } {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => browser?.close());
  return {
    async open(url: string): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(url);
      return page;
    },
  };
}

/** Where a test saves its screenshots: docs/ when SEPTCHECK_SCREENSHOTS=docs (to refresh the
 * documentation's pictures), else a temporary directory. */
export function screenshotPath(dir: string, name: string): string {
  return process.env.SEPTCHECK_SCREENSHOTS === 'docs'
    ? new URL(`../../docs/${name}`, import.meta.url).pathname
    : `${dir}/${name}`;
}
