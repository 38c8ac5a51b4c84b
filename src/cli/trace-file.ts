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

/** Reads a trace file, with one clear line for what is wrong with it. */
export function readTrace(path: string): TraceDoc {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`${path}: no such file`);
  }
  let doc: Partial<TraceDoc>;
  try {
    doc = JSON.parse(text) as Partial<TraceDoc>;
  } catch (err) {
    throw new InputError(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (doc.format !== 'septcheck-trace/1') throw new InputError(`${path}: field "format" is not "septcheck-trace/1"`);
  if (!doc.target || typeof doc.target !== 'object') throw new InputError(`${path}: field "target" is missing`);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) throw new InputError(`${path}: field "steps" is not a non-empty array`);
  doc.steps.forEach((s, i) => {
    if (!s || typeof s !== 'object' || typeof s.state !== 'object' || s.state === null) throw new InputError(`${path}: steps[${i}].state is not an object`);
    if (i > 0 && typeof s.action !== 'string') throw new InputError(`${path}: steps[${i}].action is not a string`);
  });
  for (const field of ['kind', 'property', 'doc', 'title'] as const) {
    if (typeof doc[field] !== 'string') throw new InputError(`${path}: field "${field}" is not a string`);
  }
  return doc as TraceDoc;
}
