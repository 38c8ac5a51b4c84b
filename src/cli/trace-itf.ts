import type { TraceDoc } from './trace-doc.js';

/**
 * A trace in the Informal Trace Format of Apalache and Quint (Apalache ADR-015), so their trace
 * viewers open it: `#meta`, `vars`, `states` (each with `#meta.index`), `loop` for a lasso.
 * Every fact of the state view is a variable, named as an identifier ("gfn 0 S-EPT" becomes
 * gfn_0_S_EPT; `#meta.names` keeps the original names); the step that led to a state is
 * `mbt::actionTaken` (and `mbt::process`), the names Quint's model-based testing reads.
 */
export type ItfValue =
  | boolean
  | string
  | ItfValue[]
  | { '#bigint': string }
  | { '#unserializable': string }
  | { [field: string]: ItfValue };

export interface ItfTrace {
  '#meta': Record<string, unknown>;
  vars: string[];
  states: ({ '#meta': { index: number } } & Record<string, ItfValue | { index: number }>)[];
  loop?: number;
}

export const ACTION_TAKEN = 'mbt::actionTaken';
export const PROCESS = 'mbt::process';

/** A viewed value as ITF: integers as `{"#bigint": "..."}` (ITF never uses a JSON number). */
export function itfValue(v: unknown): ItfValue {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))
    return { '#bigint': String(v) };
  if (Array.isArray(v)) return v.map(itfValue);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, itfValue(x)]));
  return { '#unserializable': String(v) };
}

/** "gfn 0 S-EPT" -> "gfn_0_S_EPT"; distinct names stay distinct. */
function identifiers(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set([ACTION_TAKEN, PROCESS]);
  for (const name of names) {
    let id = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'v';
    if (/^\d/.test(id)) id = `v_${id}`;
    let unique = id;
    for (let n = 2; used.has(unique); n++) unique = `${id}_${n}`;
    used.add(unique);
    out.set(name, unique);
  }
  return out;
}

export function traceItf(d: TraceDoc): ItfTrace {
  const names = identifiers(Object.keys(d.steps[0]!.state));
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'septcheck',
      description: `${d.kind} ${d.property}: ${d.title}`,
      target: d.target,
      names: Object.fromEntries([...names].map(([name, id]) => [id, name])),
    },
    vars: [ACTION_TAKEN, PROCESS, ...names.values()],
    states: d.steps.map((s, index) => ({
      '#meta': { index },
      [ACTION_TAKEN]: s.action ?? 'init',
      [PROCESS]: s.process ?? '',
      ...Object.fromEntries([...names].map(([name, id]) => [id, itfValue(s.state[name])])),
    })),
    ...(d.loopStart !== undefined ? { loop: d.loopStart } : {}),
  };
}
