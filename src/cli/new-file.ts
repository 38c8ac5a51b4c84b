import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from './input-error.js';
import { writeWhole } from './write-whole.js';

/** The starting points, beside the compiled dist/ folder (and shipped in the package). */
const templatesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'templates');

/** Each kind's template and the file extensions the command that reads it accepts. */
export const starters = {
  model: { template: 'model.ts', extensions: ['.ts', '.mts'] },
  policy: { template: 'policy.ts', extensions: ['.ts', '.mts'] },
  script: { template: 'script.yaml', extensions: ['.yaml', '.yml'] },
} as const;

export type StarterKind = keyof typeof starters;

/** Writes the starting point of a kind to `file`, named after the file; never overwrites. */
export function writeStarter(kind: StarterKind, file: string): void {
  const { template, extensions } = starters[kind];
  const ext = extname(file);
  if (!(extensions as readonly string[]).includes(ext))
    throw new InputError(`${file}: a ${kind} file must end in ${extensions.join(' or ')}`);
  if (existsSync(file))
    throw new InputError(`${file}: already exists (septcheck new does not overwrite a file)`);
  if (!existsSync(dirname(file) || '.'))
    throw new InputError(`${file}: no such folder ${dirname(file)}`);
  const text = readFileSync(join(templatesDir, template), 'utf8')
    .replaceAll('{{name}}', basename(file, ext))
    .replaceAll('{{file}}', file);
  writeWhole(file, text);
}
