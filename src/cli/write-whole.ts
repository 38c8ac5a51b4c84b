import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { InputError } from './input-error.js';

/** Writes a file whole or not at all: a temporary file beside it, renamed into place. A file
 * that cannot be written is bad input (a missing folder, a directory in the way): one line. */
export function writeWhole(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot write${code ? ` (${code})` : ''}`);
  }
}

export function writeJson(path: string, data: unknown): void {
  writeWhole(path, `${JSON.stringify(data, null, 2)}\n`);
}
