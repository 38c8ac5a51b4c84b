import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file whole or not at all: a temporary file beside it, renamed into place. */
export function writeWhole(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJson(path: string, data: unknown): void {
  writeWhole(path, `${JSON.stringify(data, null, 2)}\n`);
}
