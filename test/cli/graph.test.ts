import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/engine/index.js';
import { resolveTarget } from '../../src/cli/target.js';
import { septcheck } from './run.js';

/** Graphviz's dot (the Debian package) renders the graph: exit 0, nothing on stderr. */
function render(dot: string) {
  const r = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, svg: r.stdout };
}

describe('septcheck graph --format dot', () => {
  it('draws every state and transition the checker counts (peterson: 34 and 62), and dot renders it', () => {
    const r = septcheck('graph', 'peterson', '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ {2}s\d+ \[/gm)).toHaveLength(34);
    expect(r.stdout.match(/ -> /g)).toHaveLength(62);
    expect(r.stdout).not.toContain('breaks');
    const out = render(r.stdout);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.svg.match(/class="node"/g)).toHaveLength(34);
  });

  it('marks the state that breaks an invariant, and labels edges by action', async () => {
    const r = septcheck('graph', 'naive-mutex');
    const t = await resolveTarget({ model: 'naive-mutex', params: {} });
    const all = check({ ...t.model, invariants: [] }); // the whole graph, as the picture draws it
    expect(r.stdout.match(/^ {2}s\d+ \[/gm)).toHaveLength(all.distinctStates);
    expect(r.stdout.match(/ -> /g)).toHaveLength(all.transitions);
    expect(r.stdout.match(/.*breaks.*/g)).toEqual([
      '  s8 [label="p0: critical\\np1: critical\\nlock: 1\\nbreaks mutual-exclusion", tooltip="p0: critical\\np1: critical\\nlock: 1", style="rounded,filled", fillcolor="#ffb3b3", color="#c62828"];',
    ]);
    expect(r.stdout).toContain('  s0 -> s1 [label="test lock@p0"];');
    expect(render(r.stdout)).toMatchObject({ code: 0, stderr: '' });
  });

  it('stops at --max-states, says so, and draws the states at the bound dashed', () => {
    const r = septcheck('graph', '--scenario', 'basic', '--max-states', '30');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ {2}s\d+ \[/gm)).toHaveLength(30);
    expect(r.stdout).toContain('(bounded: dashed states have successors not drawn)');
    expect(r.stdout).toMatch(/style="rounded,dashed"/);
    expect(render(r.stdout)).toMatchObject({ code: 0, stderr: '' });
  });

  it('an unknown model is one line, exit 2', () => {
    const r = septcheck('graph', 'nosuch');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
  });
});
