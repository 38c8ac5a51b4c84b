import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './cli/run.js';

/**
 * Every ```sh block in README.md and docs/*.md runs, by the rules docs/documentation.md gives:
 * from a fresh folder that shows the repository's files, with `septcheck` the built command;
 * where the block right after it is ```text, the output must be that text, timings masked.
 */

export interface Block {
  readonly page: string;
  /** 1-based line of the opening fence */
  readonly line: number;
  readonly code: string;
  /** the ```text block right after it (blank lines between allowed), if any */
  readonly expected?: string;
  /** the reason given by `<!-- not-run: reason -->` on the line just before the fence */
  readonly notRun?: string;
}

/** The ```sh blocks of a Markdown page. */
export function shBlocks(page: string, text: string): Block[] {
  const lines = text.split('\n');
  const fences: { info: string; start: number; end: number; body: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') j++;
    fences.push({ info: open[1]!, start: i, end: j, body: lines.slice(i + 1, j).join('\n') });
    i = j;
  }
  return fences.flatMap((f, n) => {
    if (f.info !== 'sh') return [];
    const next = fences[n + 1];
    const expected =
      next?.info === 'text' && lines.slice(f.end + 1, next.start).every((l) => l.trim() === '')
        ? next.body
        : undefined;
    const marker = /^<!-- not-run: (.+) -->$/.exec(lines[f.start - 1] ?? '');
    return [
      {
        page,
        line: f.start + 1,
        code: f.body,
        ...(expected !== undefined ? { expected } : {}),
        ...(marker ? { notRun: marker[1]! } : {}),
      },
    ];
  });
}

/** Timings differ from run to run: a number of seconds (`0.093 s`, `2 s`), a rate
 * (`(1,734 states/s)`) and the JSON fields `seconds` and `statesPerSecond` read as `<t>`. */
export function maskTimings(text: string): string {
  return text
    .replace(/\b\d[\d,]*(\.\d+)? s\b/g, '<t> s')
    .replace(/\b\d[\d,]*(\.\d+)? states\/s\b/g, '<t> states/s')
    .replace(/"(seconds|statesPerSecond)": -?[\d.]+(e[+-]?\d+)?/g, '"$1": <t>');
}

/** Does the output match the text shown? A text whose first line is `...` shows only the end. */
export function matchesShown(output: string, shown: string): boolean {
  const out = maskTimings(output).replace(/\n+$/, '');
  const want = maskTimings(shown).replace(/\n+$/, '');
  if (!want.startsWith('...\n')) return out === want;
  const tail = want.slice(4);
  return out === tail || out.endsWith(`\n${tail}`);
}

/** What a block may be left out for, the reason naming it: the machine cannot do it here. */
const notRunReasons = /\b(cluster|TDX host|KVM host|view|set-up)\b/i;

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocks = pages.flatMap((p) => shBlocks(p, readFileSync(join(root, p), 'utf8')));

const work = mkdtempSync(join(tmpdir(), 'septcheck-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const shimDir = join(work, 'bin');
mkdirSync(shimDir);
// The shim logs every septcheck call's exit code: 2 (bad input) or an internal error is a doc bug.
writeFileSync(
  join(shimDir, 'septcheck'),
  `#!/bin/sh\n"${process.execPath}" "${join(root, 'dist', 'src', 'cli', 'septcheck.js')}" "$@"\ncode=$?\necho "$code septcheck $*" >> "$SEPTCHECK_DOCS_LOG"\nexit $code\n`,
);
chmodSync(join(shimDir, 'septcheck'), 0o755);

/** A fresh folder showing the repository's files (symlinks), where a block may write. */
function freshFolder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const entry of readdirSync(root))
    if (entry !== '.git') symlinkSync(join(root, entry), join(dir, entry));
  return dir;
}

function runBlock(
  b: Block,
  dir: string,
  log: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  writeFileSync(log, '');
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', b.code], {
      cwd: dir,
      env: { ...process.env, PATH: `${shimDir}:${process.env.PATH}`, SEPTCHECK_DOCS_LOG: log },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the documentation: every sh block', () => {
  it('is found on the pages, and is left out only for what this machine cannot do', () => {
    expect(pages).toContain('README.md');
    expect(blocks.filter((b) => b.expected !== undefined && !b.notRun).length).toBeGreaterThan(0);
    const bad = blocks.filter((b) => b.notRun && !notRunReasons.test(b.notRun));
    expect(bad.map((b) => `${b.page}:${b.line}: not-run: ${b.notRun}`)).toEqual([]);
  });

  it.concurrent.each(
    blocks.filter((b) => !b.notRun).map((b) => [`${b.page}:${b.line}`, b] as const),
  )(
    '%s runs',
    async (name, b) => {
      const dir = freshFolder(name.replace(/[/:.]/g, '_'));
      const log = join(work, `${name.replace(/[/:.]/g, '_')}.log`);
      const r = await runBlock(b, dir, log);
      const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      // Exit 2 is a doc bug, unless the page shows the one-line error on purpose.
      const shownError = b.expected !== undefined && /^septcheck: /m.test(b.expected);
      expect(
        calls.filter((c) => !(/^[013] /.test(c) || (shownError && /^2 /.test(c)))),
        'septcheck calls that failed',
      ).toEqual([]);
      expect(r.stderr).toBe('');
      if (b.expected !== undefined) {
        if (!matchesShown(r.stdout, b.expected))
          expect(maskTimings(r.stdout)).toBe(maskTimings(b.expected));
      }
    },
    120_000,
  );
});

describe('the documentation test itself', () => {
  it('finds sh blocks, the text after them and not-run markers', () => {
    const page = [
      '<!-- not-run: view: serves a page -->',
      '```sh',
      'septcheck view',
      '```',
      'prose',
      '```sh',
      'echo hi',
      '```',
      '',
      '```text',
      'hi',
      '```',
      '```json',
      '{}',
      '```',
    ].join('\n');
    expect(shBlocks('p.md', page)).toEqual([
      { page: 'p.md', line: 2, code: 'septcheck view', notRun: 'view: serves a page' },
      { page: 'p.md', line: 6, code: 'echo hi', expected: 'hi' },
    ]);
  });

  it('accepts a not-run reason only when it names what the machine cannot do', () => {
    expect(
      [
        'cluster: a Slurm job array',
        'needs a TDX host',
        'view: serves a page',
        'set-up: npm ci',
      ].every((r) => notRunReasons.test(r)),
    ).toBe(true);
    expect(['takes too long', 'slow', 'reviewer only'].some((r) => notRunReasons.test(r))).toBe(
      false,
    );
  });

  it('masks timings, and a text starting with ... matches the end of the output', () => {
    expect(
      maskTimings(
        '162 distinct states, depth 11, 0.093 s (1,734 states/s)\n  "seconds": 0.008,\n  "statesPerSecond": 21066,\nabout 2 s',
      ),
    ).toBe(
      '162 distinct states, depth 11, <t> s (<t> states/s)\n  "seconds": <t>,\n  "statesPerSecond": <t>,\nabout <t> s',
    );
    expect(matchesShown('a\nb 1.5 s\nc\n', '...\nb 9 s\nc')).toBe(true);
    expect(matchesShown('a\nb\nc\n', '...\nb')).toBe(false);
    expect(matchesShown('a\nb\n', 'a\nb')).toBe(true);
  });
});
