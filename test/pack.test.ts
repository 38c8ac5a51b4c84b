import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, runAsync, type Ran } from './cli/run.js';

/**
 * septcheck as a user meets it: packed (`npm pack`), installed into a fresh project of each kind
 * (npm's default, CommonJS, and "type": "module"), and run there through its bin link on the
 * user's own files.
 */
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const work = mkdtempSync(join(tmpdir(), 'septcheck-pack-'));
let tarball: string;

/** A fresh project with the packed septcheck installed. */
async function project(kind: 'commonjs' | 'module'): Promise<(...args: string[]) => Promise<Ran>> {
  const dir = join(work, kind);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: `user-${kind}`,
      version: '1.0.0',
      private: true,
      ...(kind === 'module' ? { type: 'module' } : {}),
    }),
  );
  // --prefer-offline: the dependencies come from npm's cache when `npm ci` put them there.
  const i = await runAsync(
    'npm',
    ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    dir,
  );
  if (i.code !== 0) throw new Error(`npm install in ${dir} failed: ${i.stderr}`);
  return (...args: string[]) => runAsync(join(dir, 'node_modules', '.bin', 'septcheck'), args, dir);
}

beforeAll(async () => {
  // npm test has just built dist/; packing again must not rebuild (prepare), hence --ignore-scripts.
  const p = await runAsync('npm', [
    'pack',
    '--ignore-scripts',
    '--pack-destination',
    work,
    '--loglevel=error',
  ]);
  if (p.code !== 0) throw new Error(`npm pack failed: ${p.stderr}`);
  tarball = join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz'))!,
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The two projects are set up and exercised at once: most of the time is npm and process start-up.
describe('installed from npm pack', () => {
  it.concurrent.each(['commonjs', 'module'] as const)(
    'into a %s project: claims with a policy of its own, a model, a script, and the types',
    async (kind) => {
      const septcheck = await project(kind);
      const dir = join(work, kind);
      for (const [k, f] of [
        ['model', 'm.ts'],
        ['policy', 'p.ts'],
        ['script', 's.yaml'],
      ])
        expect((await septcheck('new', k!, f!)).code).toBe(0);

      // The whole table once (a policy file of each kind also loads in `check --policy` below).
      if (kind === 'module') {
        const claims = await septcheck('claims', '--policy', 'p.ts');
        expect(claims.code).toBe(0);
        expect(claims.stdout).toContain(
          '\nnopin                   pass              pass                                     fail [4]                                pass                     pass            pass                fail [5]                                      pass\n',
        );
        expect(claims.stdout).toContain(
          '\np                       pass              pass                                     leak [17]                               pass                     pass            pass                leak [18]                                     pass\n',
        );
      }

      expect(JSON.parse((await septcheck('check', 'm.ts', '--json')).stdout)).toMatchObject({
        model: 'm',
        result: 'ok',
        distinctStates: 9,
      });
      expect(
        JSON.parse((await septcheck('check', 'm.ts', '--param', 'locked=0', '--json')).stdout),
      ).toMatchObject({ result: 'violation', violation: { property: 'no-lost-update' } });
      expect(
        JSON.parse(
          (
            await septcheck(
              'check',
              '--scenario',
              'basic',
              '--policy',
              'p.ts',
              '--faults',
              'remove-fails=1',
              '--json',
            )
          ).stdout,
        ),
      ).toMatchObject({ params: { policy: 'p' }, result: 'leak' });
      const script = await septcheck('run', 's.yaml');
      expect(script.stdout).toContain('PASS: 7 of 7 expectations hold');
      expect(script.code).toBe(0);

      // A model that imports a value from septcheck, as users will.
      writeFileSync(
        join(dir, 'valued.ts'),
        "import { defineModel } from 'septcheck';\nexport default defineModel({ name: 'valued', doc: 'one state', build: () => ({ stateSize: 1, initial: () => [new Uint8Array(1)], actions: [{ name: 'stay', next: () => {} }], invariants: [] }) });\n",
      );
      expect(
        JSON.parse((await septcheck('check', 'valued.ts', '--no-deadlock', '--json')).stdout),
      ).toMatchObject({ model: 'valued', result: 'ok', distinctStates: 1 });

      // The files type-check against the installed package's types; a policy without its hooks does not.
      writeFileSync(
        join(dir, 'wrong.ts'),
        "import type { PagePolicy } from 'septcheck';\nexport const p: PagePolicy = { name: 'wrong', doc: 'no hooks' };\n",
      );
      const compilerOptions = {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        noEmit: true,
        skipLibCheck: true,
        types: [],
      };
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions, files: ['m.ts', 'p.ts', 'valued.ts', 'wrong.ts'] }),
      );
      const types = await runAsync(process.execPath, [tsc, '-p', '.'], dir);
      expect(types.stdout.trim().split('\n')).toEqual([
        "wrong.ts(2,14): error TS2739: Type '{ name: string; doc: string; }' is missing the following properties from type 'PagePolicy': onMap, onMapFailed, onRemoved, onZapFailed, mayFree",
      ]);
    },
    240_000,
  );
});
