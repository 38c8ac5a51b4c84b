import { existsSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { ModelDefinition } from '../engine/index.js';
import { InputError } from './input-error.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled examples folder, beside the compiled src/ folder. */
const examplesDir = join(here, '..', '..', 'examples');

export const bundledModels = ['hanoi', 'puzzle8', 'peterson', 'naive-mutex', 'philosophers', 'counters'] as const;

/** A bundled model by name, or a model file (`.ts` loaded without a build step, or `.js`). */
export async function loadModel(spec: string): Promise<ModelDefinition> {
  if ((bundledModels as readonly string[]).includes(spec)) {
    return checkDefinition(await import(pathToFileURL(join(examplesDir, `${spec}.js`)).href), spec);
  }
  const ext = extname(spec);
  if (!['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    throw new InputError(`unknown model "${spec}": not a bundled model (${bundledModels.join(', ')}) nor a .ts or .js file`);
  }
  return checkDefinition(await importUserFile(spec), spec);
}

/** Imports a user's TypeScript or JavaScript file, with one clear line when it cannot load. */
export async function importUserFile(spec: string): Promise<Record<string, unknown>> {
  const path = resolve(spec);
  if (!existsSync(path)) throw new InputError(`${spec}: no such file`);
  try {
    return commonJsExports((await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim() !== '') ?? 'failed to load';
    throw new InputError(`${spec}: does not load: ${first.trim()}`);
  }
}

/** A file Node runs as CommonJS (a .ts or .js in a project without "type": "module", npm's
 * default) comes back as `{ default: module.exports }`, its own exports one level down. */
function commonJsExports(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default;
  return inner !== null && typeof inner === 'object' && '__esModule' in inner ? (inner as Record<string, unknown>) : mod;
}

function checkDefinition(mod: Record<string, unknown>, spec: string): ModelDefinition {
  const def = (mod.default ?? mod.model) as Partial<ModelDefinition> | undefined;
  if (!def || typeof def !== 'object') throw new InputError(`${spec}: has no default export (expected a model definition: { name, doc, params?, build })`);
  if (typeof def.name !== 'string') throw new InputError(`${spec}: default export has no string field "name"`);
  if (typeof def.build !== 'function') throw new InputError(`${spec}: default export has no function field "build"`);
  return def as ModelDefinition;
}
