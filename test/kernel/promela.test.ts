import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { buildSystem } from '../../src/kernel/index.js';
import { nopin } from '../../src/policies/nopin.js';
import { contention } from '../../src/scenarios/contention.js';

/** SPIN's exhaustive safety search of bench/contention.pml (-o2 keeps write-only variables). */
function spinStates(vcpus: number): number {
  const work = mkdtempSync(join(tmpdir(), 'septcheck-pml-'));
  try {
    execFileSync(
      'spin',
      [`-DVCPUS=${vcpus}`, '-o2', '-a', join(process.cwd(), 'bench', 'contention.pml')],
      { cwd: work, stdio: 'pipe' },
    );
    execFileSync('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-o', 'pan', 'pan.c'], {
      cwd: work,
      stdio: 'pipe',
    });
    const out = execFileSync('./pan', ['-m100000'], { cwd: work, encoding: 'utf8' });
    expect(out).toContain('errors: 0');
    return Number(/(\d+) states, stored/.exec(out)![1]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The Promela transcription the bench runs SPIN on explores exactly the model's states: a
 * step the two disagree on would show as a different count. */
describe('bench/contention.pml', () => {
  it.each([
    [2, 9984],
    [3, 159820],
  ])(
    'with %i vCPUs: SPIN and septcheck both find %i states, no property broken',
    (vcpus, states) => {
      const r = check(
        buildSystem({
          scenario: { ...contention, vcpus },
          policy: nopin,
          faults: contention.faults,
          hvo: false,
        }),
        { liveness: false },
      );
      expect(r).toMatchObject({ result: 'ok', distinctStates: states });
      expect(spinStates(vcpus)).toBe(states);
    },
  );
});
