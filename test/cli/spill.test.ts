import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { septcheckAsync } from './run.js';

// test/fixtures/wide-model.ts: 65,536 states of 512 bytes whose queue, not their visited set,
// passes a 10 MiB bound (the run keeps about 11 MiB at its widest level, mostly queue).
const WIDE = 'test/fixtures/wide-model.ts';
const dir = mkdtempSync(join(tmpdir(), 'septcheck-spill-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const check = async (...args: string[]) => {
  const r = await septcheckAsync('check', WIDE, '--workers', '1', '--json', ...args);
  return { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) };
};
const counts = (j: { distinctStates: number; transitions: number; depth: number }) => ({
  distinctStates: j.distinctStates,
  transitions: j.transitions,
  depth: j.depth,
});

describe('--spill: the queue on disk once --max-memory is reached', () => {
  it('finishes with exactly the counts of the run in memory, its files removed; without --spill the bound stops it (exit 3)', async () => {
    const free = await check();
    expect(free.code).toBe(0);
    expect(counts(free.json)).toEqual({ distinctStates: 65536, transitions: 524288, depth: 16 });
    const bounded = await check('--max-memory', '10');
    expect(bounded.code).toBe(3);
    expect(bounded.json).toMatchObject({ result: 'incomplete', stoppedBy: 'max-memory' });
    const spilled = await check('--max-memory', '10', '--spill', dir);
    expect(spilled.code).toBe(0);
    expect(spilled.json.result).toBe('ok');
    expect(counts(spilled.json)).toEqual(counts(free.json));
    expect(spilled.json.spilledBytes).toBeGreaterThan(0);
    expect(spilled.json.distinctStates * spilled.json.bytesPerState).toBeLessThanOrEqual(
      10 * 2 ** 20,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a counterexample found with the queue on disk is the one found in memory', async () => {
    const free = await check('--param', 'bad=1');
    const spilled = await check('--param', 'bad=1', '--max-memory', '10', '--spill', dir);
    expect(spilled.code).toBe(1);
    expect(spilled.json.spilledBytes).toBeGreaterThan(0);
    expect(spilled.json.violation.trace).toHaveLength(17);
    expect(spilled.json.violation).toEqual(free.json.violation);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('--max-disk bounds the files: the run ends as incomplete (exit 3), stopped by max-disk', async () => {
    const r = await check('--max-memory', '10', '--spill', dir, '--max-disk', '2');
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ result: 'incomplete', stoppedBy: 'max-disk' });
    expect(r.json.spilledBytes).toBeLessThanOrEqual(2 * 2 ** 20);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('bad --spill and --max-disk: one line naming the flag, exit 2, nothing written', async () => {
    const file = join(dir, '..', `septcheck-spill-file-${process.pid}`);
    writeFileSync(file, '');
    try {
      const cases: [string[], string][] = [
        [['--spill', join(dir, 'missing')], `--spill: ${join(dir, 'missing')} is not a directory`],
        [['--spill', file], `--spill: ${file} is not a directory`],
        [['--max-disk', '5'], '--max-disk: only with --spill <dir>'],
        [['--spill', dir, '--max-disk', '0'], '--max-disk must be an integer >= 1'],
        [['--spill', dir, '--max-disk', 'lots'], '--max-disk must be an integer >= 1'],
      ];
      for (const [args, message] of cases) {
        const r = await septcheckAsync('check', WIDE, ...args);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(message);
      }
      const live = await septcheckAsync('check', 'peterson', '--spill', dir);
      expect(live.code).toBe(2);
      expect(live.stderr.trim()).toBe(
        'septcheck: --spill: liveness (peterson has liveness properties) keeps every state in memory; add --no-liveness',
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
