import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, septcheck } from './run.js';

/** Runs `septcheck` as a separate process, as a cluster's job array would. */
function shard(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], {
      cwd: root,
      stdio: 'ignore',
    });
    p.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('septcheck swarm and merge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-swarm-'));

  it('four shards as local processes, merged: the failed REMOVE found, with its trace', async () => {
    const files = [1, 2, 3, 4].map((i) => join(dir, `shard-${i}.json`));
    const codes = await Promise.all(
      files.map((out, i) =>
        shard([
          'swarm',
          '--scenario',
          'basic',
          '--policy',
          'nopin',
          '--faults',
          'remove-fails=1',
          '--shard',
          `${i + 1}/4`,
          '--max-states',
          '400',
          '--out',
          out,
        ]),
      ),
    );
    expect(codes.every((c) => c === 1 || c === 3 || c === 0)).toBe(true);
    const shards = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(shards.map((s) => s.shard)).toEqual([1, 2, 3, 4]);
    expect(new Set(shards.map((s) => s.seed)).size).toBe(4);
    const r = septcheck('merge', ...files, '--json');
    expect(r.code).toBe(1);
    const m = JSON.parse(r.stdout);
    expect(m).toMatchObject({ shards: 4, of: 4, missing: [], result: 'violation' });
    expect(m.violation.property).toBe('no-reuse-while-mapped');
    // Each shard shrinks its depth-first path: the shortest counterexample, 13 steps.
    expect(m.violation.shrunk).toMatchObject({ method: 'bfs', after: 13 });
    expect(m.violation.trace).toHaveLength(14);
    expect(m.statesExplored).toBe(shards.reduce((n, s) => n + s.distinctStates, 0));
  });

  it('a swarm over a safe model that every shard finishes merges to ok; a missing shard makes it incomplete', async () => {
    const files = [1, 2].map((i) => join(dir, `safe-${i}.json`));
    await Promise.all(
      files.map((out, i) =>
        shard(['swarm', 'hanoi', '--param', 'disks=4', '--shard', `${i + 1}/3`, '--out', out]),
      ),
    );
    const r = JSON.parse(septcheck('merge', ...files, '--json').stdout);
    expect(r).toMatchObject({
      shards: 2,
      of: 3,
      missing: [3],
      result: 'incomplete',
      statesExplored: 162,
    });
    await shard([
      'swarm',
      'hanoi',
      '--param',
      'disks=4',
      '--shard',
      '3/3',
      '--out',
      join(dir, 'safe-3.json'),
    ]);
    const all = septcheck('merge', ...files, join(dir, 'safe-3.json'));
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('hanoi (disks=4): 3 of 3 shards, 243 states explored in all');
  });

  it('bad input: shards of different swarms, a bad --shard', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    septcheck('swarm', 'hanoi', '--param', 'disks=3', '--shard', '1/2', '--out', a);
    septcheck('swarm', 'hanoi', '--param', 'disks=4', '--shard', '2/2', '--out', b);
    expect(septcheck('merge', a, b).stderr).toBe(
      `septcheck: ${b}: field "target" differs from that of ${a}: not the same swarm\n`,
    );
    const bad = septcheck('swarm', 'hanoi', '--shard', '5/4');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "septcheck: option '--shard <i/N>' argument '5/4' is invalid. expected i/N with 1 <= i <= N, e.g. 3/8\n",
    );
  });
});
