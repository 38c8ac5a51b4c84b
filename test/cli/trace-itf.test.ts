import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// Quint's own reader of ITF (the package has no exports map; this is its module for ITF).
import { ofItf } from '@informalsystems/quint/dist/src/itf.js';
import { septcheck } from './run.js';

/** The rules of ADR-015 that a trace must keep, as Apalache's and Quint's readers expect them. */
function itfProblems(t: Record<string, unknown>): string[] {
  const out: string[] = [];
  const value = (v: unknown, at: string): void => {
    if (typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') out.push(`${at}: a JSON number (integers are {"#bigint": "..."})`);
    else if (Array.isArray(v)) v.forEach((x, i) => value(x, `${at}[${i}]`));
    else if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      if (
        keys.includes('#bigint') &&
        (keys.length !== 1 || !/^-?\d+$/.test((v as Record<string, string>)['#bigint']!))
      )
        out.push(`${at}: bad #bigint`);
      else if (
        keys.some(
          (k) =>
            k.startsWith('#') &&
            !['#bigint', '#tup', '#set', '#map', '#unserializable'].includes(k),
        )
      )
        out.push(`${at}: unknown ${keys}`);
      else
        for (const k of keys)
          if (!k.startsWith('#')) value((v as Record<string, unknown>)[k], `${at}.${k}`);
    } else out.push(`${at}: ${String(v)} is not an ITF value`);
  };
  if (!t['#meta'] || typeof t['#meta'] !== 'object') out.push('no #meta object');
  const vars = t.vars as unknown[];
  if (
    !Array.isArray(vars) ||
    vars.some((v) => typeof v !== 'string') ||
    new Set(vars).size !== vars.length
  )
    out.push('vars is not a list of distinct names');
  const states = t.states as Record<string, unknown>[];
  if (!Array.isArray(states) || states.length === 0) return [...out, 'no states'];
  states.forEach((s, i) => {
    if ((s['#meta'] as { index?: unknown } | undefined)?.index !== i)
      out.push(`states[${i}]: #meta.index is not ${i}`);
    const keys = Object.keys(s).filter((k) => k !== '#meta');
    if (keys.length !== vars.length || keys.some((k) => !vars.includes(k)))
      out.push(`states[${i}]: its variables are not vars`);
    for (const k of keys) value(s[k], `states[${i}].${k}`);
  });
  if (
    t.loop !== undefined &&
    (!Number.isInteger(t.loop) || (t.loop as number) < 0 || (t.loop as number) >= states.length)
  )
    out.push('loop is not a state index');
  return out;
}

const field = (rec: { args: { kind: string; value?: unknown }[] }, name: string) => {
  const i = rec.args.findIndex((a, k) => k % 2 === 0 && a.kind === 'str' && a.value === name);
  return rec.args[i + 1] as { kind: string; value?: unknown };
};

describe('ITF export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-itf-'));
  const file = join(dir, 'pin.json');
  septcheck('check', '--scenario', 'convert', '--policy', 'pin', '--trace-out', file);
  const doc = JSON.parse(readFileSync(file, 'utf8'));

  it('explain --format itf keeps the format rules; Quint reads every state and value back', () => {
    const r = septcheck('explain', file, '--format', 'itf');
    expect(r.code).toBe(0);
    const itf = JSON.parse(r.stdout);
    expect(itfProblems(itf)).toEqual([]);
    expect(itf.states).toHaveLength(14);
    expect(itf.loop).toBe(11);
    expect(itf.vars.slice(0, 4)).toEqual(['mbt::actionTaken', 'mbt::process', 'td', 'td_TDR']);
    expect(itf['#meta'].names['gfn_0_S_EPT']).toBe('gfn 0 S-EPT');
    const states = ofItf(itf) as unknown as {
      kind: string;
      opcode: string;
      args: { kind: string; value?: unknown }[];
    }[];
    expect(states).toHaveLength(14);
    states.forEach((s, i) => {
      expect(s.opcode).toBe('Rec');
      expect(field(s, 'mbt::actionTaken').value).toBe(doc.steps[i].action ?? 'init');
      expect(field(s, 'gfn_0_S_EPT').value).toBe(doc.steps[i].state['gfn 0 S-EPT']);
      expect(field(s, 'frame_0_refcount').value).toBe(doc.steps[i].state['frame 0 refcount']);
    });
  });

  it('--trace-out x.itf.json writes ITF; integers are #bigint, read back as Quint integers', () => {
    const out = join(dir, 'peterson.itf.json');
    const r = septcheck('check', 'naive-mutex', '--trace-out', out);
    expect(r.code).toBe(1);
    const itf = JSON.parse(readFileSync(out, 'utf8'));
    expect(itfProblems(itf)).toEqual([]);
    const ints = JSON.stringify(itf.states).match(/\{"#bigint":"\d+"\}/g) ?? [];
    expect(ints.length).toBeGreaterThan(0);
    const states = ofItf(itf) as unknown as { args: { kind: string; value?: unknown }[] }[];
    const firstInt = states.flatMap((s) => s.args).find((a) => a.kind === 'int');
    expect(typeof firstInt?.value).toBe('bigint');
  });

  it('the rules catch what breaks them', () => {
    expect(
      itfProblems({ '#meta': {}, vars: ['x'], states: [{ '#meta': { index: 1 }, x: 3 }] }),
    ).toEqual([
      'states[0]: #meta.index is not 0',
      'states[0].x: a JSON number (integers are {"#bigint": "..."})',
    ]);
  });
});
