import { readFileSync } from 'node:fs';
import { InputError } from './input-error.js';
import type { TraceDoc } from './trace-doc.js';
import { traceItf } from './trace-itf.js';
import { writeJson } from './write-whole.js';

/** Saves a trace: in the Informal Trace Format when the name ends in .itf.json, else as a
 * septcheck trace file (the one `replay` reads). */
export function writeTrace(path: string, doc: TraceDoc): void {
  writeJson(path, path.endsWith('.itf.json') ? traceItf(doc) : doc);
}

/** Reads a JSON file, with one line when it is missing or not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot read (${(err as NodeJS.ErrnoException).code})`}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the `target` of a trace or a swarm result: the arguments that name the model. */
export function checkTarget(t: unknown, bad: (field: string, expected: string) => Error): void {
  if (!isObject(t)) throw bad('target', 'is not an object');
  for (const f of ['model', 'scenario', 'policy', 'faults', 'tree', 'module'] as const)
    if (t[f] !== undefined && typeof t[f] !== 'string') throw bad(`target.${f}`, 'is not a string');
  for (const f of ['hvo', 'withoutPageExt'] as const)
    if (t[f] !== undefined && typeof t[f] !== 'boolean')
      throw bad(`target.${f}`, 'is not a boolean');
  if (
    t.params !== undefined &&
    (!isObject(t.params) || !Object.values(t.params).every((v) => typeof v === 'string'))
  )
    throw bad('target.params', 'is not an object of strings');
}

/** Checks a trace document (a trace file, or a swarm result's violation); `at` prefixes field names. */
export function checkTraceDoc(doc: unknown, path: string, at = ''): TraceDoc {
  const bad = (field: string, expected: string) =>
    new InputError(`${path}: field "${at}${field}" ${expected}`);
  if (!isObject(doc))
    throw new InputError(
      `${path}: ${at ? `field "${at.slice(0, -1)}" is` : 'is'} not a JSON object`,
    );
  if (doc.format !== 'septcheck-trace/1') throw bad('format', 'is not "septcheck-trace/1"');
  checkTarget(doc.target, bad);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0)
    throw bad('steps', 'is not a non-empty array');
  doc.steps.forEach((s: unknown, i) => {
    if (!isObject(s) || !isObject(s.state)) throw bad(`steps[${i}].state`, 'is not an object');
    if (typeof s.action !== 'string' && (i > 0 || s.action !== null))
      throw bad(`steps[${i}].action`, i > 0 ? 'is not a string' : 'is not a string or null');
    if (s.process !== null && typeof s.process !== 'string')
      throw bad(`steps[${i}].process`, 'is not a string or null');
    for (const f of ['where', 'call'] as const)
      if (s[f] !== undefined && typeof s[f] !== 'string')
        throw bad(`steps[${i}].${f}`, 'is not a string');
    if (!(Array.isArray(s.changes) && s.changes.every((c) => typeof c === 'string')))
      throw bad(`steps[${i}].changes`, 'is not a list of strings');
  });
  for (const field of ['kind', 'property', 'doc', 'title'] as const) {
    if (typeof doc[field] !== 'string') throw bad(field, 'is not a string');
  }
  const last = doc.steps.length - 1;
  if (
    doc.loopStart !== undefined &&
    !(
      Number.isInteger(doc.loopStart) &&
      (doc.loopStart as number) >= 0 &&
      (doc.loopStart as number) <= last
    )
  )
    throw bad('loopStart', `is not a step index from 0 to ${last}`);
  if (
    doc.fairness !== undefined &&
    !(Array.isArray(doc.fairness) && doc.fairness.every((f) => typeof f === 'string'))
  )
    throw bad('fairness', 'is not a list of strings');
  return doc as unknown as TraceDoc;
}

/** Reads a trace file, with one clear line for what is wrong with it. */
export function readTrace(path: string): TraceDoc {
  return checkTraceDoc(readJsonFile(path), path);
}
