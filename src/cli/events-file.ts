import { readFileSync } from 'node:fs';
import { writeWhole } from './write-whole.js';
import type { LoggedEvent } from '../engine/index.js';
import { InputError } from './input-error.js';

/** Reads a JSON-lines log (README: "The event format"), with one line for what is wrong. */
export function readEvents(path: string): LoggedEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`${path}: no such file`);
  }
  const events: LoggedEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new InputError(`${path}:${i + 1}: not a JSON object`);
    }
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new InputError(`${path}:${i + 1}: not a JSON object`);
    if (typeof e.fn !== 'string')
      throw new InputError(`${path}:${i + 1}: field "fn" is not a string`);
    if (
      e.args !== undefined &&
      (typeof e.args !== 'object' ||
        e.args === null ||
        Object.values(e.args).some((v) => typeof v !== 'number'))
    ) {
      throw new InputError(`${path}:${i + 1}: field "args" is not an object of numbers`);
    }
    if (e.ret !== undefined && typeof e.ret !== 'number' && typeof e.ret !== 'string')
      throw new InputError(`${path}:${i + 1}: field "ret" is not a number or a string`);
    events.push(e as unknown as LoggedEvent);
  });
  return events;
}

export function writeEvents(path: string, events: readonly LoggedEvent[]): void {
  writeWhole(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
}
