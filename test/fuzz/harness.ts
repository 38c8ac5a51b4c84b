/**
 * The fuzz property every septcheck run must keep (issue 15; docs/exit-codes.md): it ends with
 * exit 0, 1, 2 or 3; never a stack trace nor "internal error" (exit 70); bad input (2) prints
 * nothing on stdout and one line on stderr; a JSON output matches its JSON Schema (schemas/);
 * and no file is left half-written.
 *
 * Runs are driven in-process (the built command's `septcheck(argv, io)`, argv, stdout, stderr and
 * exit code injected) and as real processes. Counts: SEPTCHECK_FUZZ_RUNS (default 1000 per
 * command) and SEPTCHECK_FUZZ_PROCESSES (default 8 in npm test, which must stay under five
 * minutes: a process costs 0.2 to 0.5 CPU-seconds, 0.7 with a user's ES-module .ts file, and 600
 * of them (`npm run fuzz`: 50 per command) about 200; docs/exit-codes.md); SEPTCHECK_FUZZ_SEED
 * replays a failure. In-process runs drive tsc's dist/src/cli/main.js, real processes the
 * package's bin (dist/src/cli/septcheck.js, bundled).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as fc from 'fast-check';
import { expect, vi } from 'vitest';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/src/cli/septcheck.js');

export const runs = Number(process.env.SEPTCHECK_FUZZ_RUNS ?? 1000);
export const processes = Number(process.env.SEPTCHECK_FUZZ_PROCESSES ?? 8);
export const seed = Number(process.env.SEPTCHECK_FUZZ_SEED ?? Date.now() % 2 ** 31);

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

type Septcheck = (
  argv: readonly string[],
  io: { stdout(t: string): void; stderr(t: string): void; serving?(close: () => void): void },
) => Promise<number>;
let cli: Septcheck | undefined;

/** In-process runs import a user's ES module file (.ts through tsx's ESM loader) once per test
 * file, as Node's require cache already does for a CommonJS one: tsx's tsImport compiles and
 * runs the file afresh on every call (about 30 CPU-ms and a round trip to its loader thread),
 * while the fuzz inputs name the same fixtures again and again. A file is new when its path,
 * size or modification time is; what a load fails with is kept too (the same file fails the
 * same way). Real processes (fuzzSubprocess) load every file afresh. */
vi.doMock('tsx/esm/api', async (importOriginal) => {
  const tsx = await importOriginal<typeof import('tsx/esm/api')>();
  const loaded = new Map<string, Promise<unknown>>();
  const tsImport: typeof tsx.tsImport = (specifier, options) => {
    const file = statSync(fileURLToPath(specifier), { throwIfNoEntry: false });
    const key = `${specifier}\n${file?.size}\n${file?.mtimeMs}`;
    if (!loaded.has(key)) loaded.set(key, tsx.tsImport(specifier, options));
    return loaded.get(key)! as Promise<never>;
  };
  return { ...tsx, tsImport };
});

/** One run in this process, as the command line `argv` would run. */
export async function inProcess(argv: readonly string[]): Promise<Outcome> {
  cli ??= ((await import(join(root, 'dist/src/cli/main.js'))) as { septcheck: Septcheck })
    .septcheck;
  let stdout = '';
  let stderr = '';
  const servers: (() => void)[] = [];
  const code = await cli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    serving: (close) => void servers.push(close),
  });
  for (const close of servers) close();
  return { code, stdout, stderr };
}

/** How a real process runs the bin: as a user's `septcheck` would, but for two settings that
 * change no exit code, output or file, only what a start costs (measured on the 2-core machine,
 * docs/exit-codes.md): V8's optimizing compiler off (`--no-opt`: a fuzz run lasts tenths of a
 * second, and TurboFan compiled the engine's hot functions in background threads for runs that
 * end before the code pays back: `check --scenario basic` 0.455 -> 0.280 CPU-s), and no
 * NODE_EXTRA_CA_CERTS (septcheck opens no TLS connection; where it is set, Node 20 parses the
 * certificate bundle it names at every start: 0.045 CPU-s of `node -e 0`'s 0.14). Not
 * `--jitless`: Node 20 then warns on stderr. */
const childArgs = ['--no-opt', bin];
const childEnv = { ...process.env, NODE_EXTRA_CA_CERTS: undefined };

/** One run as a real process; `view` (which serves until stopped) is stopped once it printed. */
export function subprocess(argv: readonly string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...childArgs, ...argv], {
      cwd: root,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (argv[0] === 'view' && stdout.includes('\n')) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: stopped ? 0 : code, stdout, stderr }));
  });
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
for (const f of readdirSync(join(root, 'schemas')))
  ajv.addSchema(JSON.parse(readFileSync(join(root, 'schemas', f), 'utf8')));

/** Asserts `data` matches the shipped schema `name` (schemas/<name>.schema.json). */
export function expectSchema(name: string, data: unknown): void {
  const validate = ajv.getSchema(`https://septcheck.invalid/schemas/${name}.schema.json`)!;
  if (!validate(data))
    throw new Error(
      `does not match schemas/${name}.schema.json: ${ajv.errorsText(validate.errors)}`,
    );
}

/** The options that take a value: a flag right after one of them is its value, not a flag. */
const valueOptions = new Set([
  '--param',
  '--scenario',
  '--policy',
  '--faults',
  '--tree',
  '--module',
  '--max-states',
  '--max-depth',
  '--max-memory',
  '--spill',
  '--max-disk',
  '--trace-out',
  '--workers',
  '--shard',
  '--seed',
  '--out',
  '--runs',
  '--depth',
  '--events-out',
  '--format',
  '--port',
  '--model',
  '--join-after',
  '--script',
]);

/** The value of the option `name` as commander reads `argv` (the last one wins), or true for a flag. */
export function optionOf(argv: readonly string[], name: string): string | true | undefined {
  let found: string | true | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === name) found = valueOptions.has(a) ? argv[i + 1] : true;
    if (valueOptions.has(a)) i++;
  }
  return found;
}

/** Which schema a run's stdout must match, if it prints JSON. */
function jsonKind(argv: readonly string[]): string | undefined {
  const has = (flag: string) => optionOf(argv, flag) !== undefined;
  if (has('--help') || has('-h')) return undefined;
  switch (argv[0]) {
    case 'check':
      return has('--json') ? 'check-report' : undefined;
    case 'simulate':
      return has('--json') ? 'simulate-report' : undefined;
    case 'claims':
      return has('--json') && !has('--markdown') ? 'claims' : undefined;
    case 'run':
      return has('--json') ? 'run-report' : undefined;
    case 'replay':
      return has('--json') ? 'replay-report' : undefined;
    case 'validate':
      return has('--json') ? 'validate-report' : undefined;
    case 'merge':
      return has('--json') ? 'merge-report' : undefined;
    case 'explain':
      return optionOf(argv, '--format') === 'json' ? 'trace' : undefined;
    case 'swarm':
      return has('--out') ? undefined : 'swarm-result';
    default:
      return undefined;
  }
}

/** The files a run may write, and what each must be when it exists: JSON its schema accepts,
 * JSON lines, or (a starting point of `new`) text. */
type Written = 'jsonl' | 'text' | 'trace' | 'swarm-result';
const outputs: Record<string, Written> = {
  '--trace-out': 'trace',
  '--out': 'swarm-result',
  '--events-out': 'jsonl',
};

/** The property: exit code, stderr, stdout and written files as documented. */
export function judge(argv: readonly string[], r: Outcome, dir: string): void {
  const context = `septcheck ${argv.map((a) => JSON.stringify(a)).join(' ')}\nexit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout.slice(0, 400)}`;
  try {
    expect([0, 1, 2, 3]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error|^\s+at |Error:\s*$|node:internal/m);
    if (r.code === 2) {
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^septcheck: [^\n]+\n$/);
    } else if (r.code === 3 && argv[0] === 'run') {
      // run --kernel where there is no KVM to compare with: nothing was compared
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^septcheck: [^\n]+: not compared with the kernel: [^\n]+\n$/);
    } else {
      expect(r.stderr).toBe('');
      const kind = jsonKind(argv);
      if (kind) expectSchema(kind, JSON.parse(r.stdout));
    }
    const written: [string | true | undefined, Written][] = [
      ...Object.entries(outputs).map(([flag, schema]) => [optionOf(argv, flag), schema] as const),
      // new <kind> <file>: the file it writes
      ...(argv[0] === 'new' ? [[argv[2], 'text'] as const] : []),
    ];
    for (const [file, schema] of written) {
      if (typeof file !== 'string' || !file.startsWith(dir)) continue;
      // written whole or not at all: no temporary file of it is left behind
      expect(
        readdirSync(dir).filter((f) => f.startsWith(`${basename(file)}.`) && f.endsWith('.tmp')),
      ).toEqual([]);
      if (!existsSync(file) || !statSync(file).isFile()) continue;
      const text = readFileSync(file, 'utf8');
      if (schema === 'text') expect(text).not.toBe('');
      else if (schema === 'jsonl')
        for (const line of text.split('\n').filter((l) => l !== '')) JSON.parse(line);
      else expectSchema(schema, JSON.parse(text));
    }
  } catch (err) {
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- the run:\n${context}`,
    );
  }
}

/** A fresh folder for one command's written files. */
export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `septcheck-fuzz-${name}-`));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs the property over `runs` generated inputs in-process; the seed is printed first. */
export async function fuzzInProcess(
  name: string,
  arb: fc.Arbitrary<string[]>,
  dir: string,
): Promise<void> {
  console.log(
    `fuzz ${name} in-process: ${runs} inputs, seed ${seed} (SEPTCHECK_FUZZ_SEED=${seed} replays)`,
  );
  const codes: Record<string, number> = {};
  const cpu = process.cpuUsage();
  await fc.assert(
    fc.asyncProperty(arb, async (argv) => {
      // A turn of the event loop per input: a run whose files are all cached resolves in
      // microtasks only, and a worker that never turns the loop misses vitest's messages
      // ("Timeout calling onTaskUpdate", test/setup/yield.ts).
      await new Promise((resolve) => setImmediate(resolve));
      const r = await inProcess(argv);
      codes[String(r.code)] = (codes[String(r.code)] ?? 0) + 1;
      judge(argv, r, dir);
    }),
    {
      seed,
      numRuns: runs,
      endOnFailure: true,
      // Stop before the test's own timeout (600 s): a test that vitest times out goes on running
      // its runs, and their output (the command writes to the one run it thinks is in progress,
      // src/cli/io.ts) lands in the next test's runs, which then fail for no fault of theirs.
      interruptAfterTimeLimit: 570_000,
      markInterruptAsFailure: true,
    },
  );
  const { user, system } = process.cpuUsage(cpu);
  console.log(
    `fuzz ${name} in-process: exit codes ${JSON.stringify(codes)}, ${((user + system) / 1e6).toFixed(1)} CPU-s`,
  );
}

/** Runs the property over `processes` generated inputs as real processes, two at a time. */
export async function fuzzSubprocess(
  name: string,
  arb: fc.Arbitrary<string[]>,
  dir: string,
): Promise<void> {
  console.log(
    `fuzz ${name} as processes: ${processes} inputs, seed ${seed} (SEPTCHECK_FUZZ_SEED=${seed} replays)`,
  );
  const inputs = fc.sample(arb, { seed, numRuns: processes });
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < inputs.length) {
      const argv = inputs[next++]!;
      try {
        judge(argv, await subprocess(argv), dir);
      } catch (err) {
        failures.push(`${String(err)}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  if (failures.length)
    throw new Error(
      `seed ${seed}: ${failures.length} of ${inputs.length} runs broke the property; the first:\n${failures[0]}`,
    );
}
