import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModelDefinition } from '../engine/index.js';
import { InputError } from './input-error.js';
import { registerUserFile, text, userFrame } from './failure.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled examples folder, beside the compiled src/ folder. */
const examplesDir = join(here, '..', '..', 'examples');

export const bundledModels = [
  'hanoi',
  'puzzle8',
  'peterson',
  'naive-mutex',
  'philosophers',
  'counters',
] as const;

/** A bundled model by name, or a model file (`.ts` loaded without a build step, or `.js`). */
export async function loadModel(spec: string): Promise<ModelDefinition> {
  if ((bundledModels as readonly string[]).includes(spec)) {
    return checkDefinition(await import(pathToFileURL(join(examplesDir, `${spec}.js`)).href), spec);
  }
  const ext = extname(spec);
  if (!['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    throw new InputError(
      `unknown model "${spec}": not a bundled model (${bundledModels.join(', ')}) nor a .ts or .js file`,
    );
  }
  return checkDefinition(await importUserFile(spec), spec);
}

/** Imports a user's TypeScript or JavaScript file, with one clear line when it cannot load: the
 * compiler's message with its line, or the line of the file that threw while loading. */
export async function importUserFile(spec: string): Promise<Record<string, unknown>> {
  const path = resolve(spec);
  if (!existsSync(path)) throw new InputError(`${spec}: no such file`);
  registerUserFile(path, spec);
  let mod: Record<string, unknown>;
  try {
    // tsx only when a user's file is loaded: it is a fifth of the command's start-up time.
    // A CommonJS file through tsx's require, not its ESM loader: the ESM loader runs CommonJS
    // from a data: URL, whose stack frames name neither the file nor its lines.
    if (isCommonJs(path))
      mod = (await import('tsx/cjs/api')).require(path, import.meta.url) as Record<string, unknown>;
    else
      mod = (await (
        await import('tsx/esm/api')
      ).tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${spec}${loadError(err)}`);
  }
  return moduleExports(mod);
}

/** Why a file did not load, after its name: `:line: message`, or `: does not load: message`. */
function loadError(err: unknown): string {
  // tsx's TransformError: "Transform failed with 1 error:\n/abs/file.ts:3:9: ERROR: Expected ..."
  const compiled = err instanceof Error ? /^.*:(\d+):\d+: ERROR: (.*)$/m.exec(err.message) : null;
  if (compiled) return `:${compiled[1]}: does not compile: ${compiled[2]}`;
  const thrown = userFrame(err);
  if (thrown) return `:${thrown.frame.line}: threw while loading: ${text(thrown.error)}`;
  const first =
    (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim() !== '') ??
    'failed to load';
  return `: does not load: ${first.trim()}`;
}

/** Does Node load this file as CommonJS: .cts/.cjs, or .ts/.js in a package not of "type": "module"? */
function isCommonJs(path: string): boolean {
  if (/\.[cm][tj]s$/.test(path)) return /\.c[tj]s$/.test(path);
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type !== 'module';
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/** The module's exports, also when it was loaded as CommonJS: a .ts file in a folder whose
 * package.json does not say "type": "module" comes back as { default: module.exports }. */
function moduleExports(mod: Record<string, unknown>): Record<string, unknown> {
  const cjs = mod.default as Record<string, unknown> | undefined;
  return cjs && typeof cjs === 'object' && cjs.__esModule === true ? cjs : mod;
}

function checkDefinition(mod: Record<string, unknown>, spec: string): ModelDefinition {
  const def = (mod.default ?? mod.model) as Partial<ModelDefinition> | undefined;
  if (!def || typeof def !== 'object')
    throw new InputError(
      `${spec}: has no default export (expected a model definition: { name, doc, params?, build })`,
    );
  if (typeof def.name !== 'string')
    throw new InputError(`${spec}: default export has no string field "name"`);
  if (typeof def.build !== 'function')
    throw new InputError(`${spec}: default export has no function field "build"`);
  return def as ModelDefinition;
}
