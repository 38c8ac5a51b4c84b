import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, fuzzInProcess, fuzzSubprocess, inProcess, scratch } from './harness.js';
import {
  faults,
  fileText,
  inputs,
  junk,
  modelFiles,
  mutated,
  options,
  policyFiles,
  scripts,
  written,
} from './inputs.js';

const { flag, valued } = inputs;
const dir = scratch('files');
afterAll(() => cleanup(dir), 120_000);

/** Valid files to mutate, made by septcheck itself: traces, swarm results, event logs. */
const valid = { traces: [] as unknown[], shards: [] as unknown[], logs: [] as string[] };
beforeAll(async () => {
  const made = async (argv: string[], file: string) => {
    const r = await inProcess(argv);
    expect(r.stderr).toBe('');
    return readFileSync(file, 'utf8');
  };
  for (const [i, argv] of [
    ['check', '--scenario', 'basic', '--policy', 'nopin', '--faults', 'remove-fails=1'],
    ['check', '--scenario', 'convert', '--policy', 'pin'],
    [
      'check',
      '--scenario',
      'basic',
      '--policy',
      'test/fixtures/leaky-policy.ts',
      '--faults',
      'remove-fails=1',
    ],
    ['check', 'test/fixtures/counter-model.ts', '--param', 'limit=3'],
    ['check', 'naive-mutex'],
  ].entries()) {
    valid.traces.push(
      JSON.parse(
        await made(
          [...argv, '--trace-out', join(dir, `trace-${i}.json`)],
          join(dir, `trace-${i}.json`),
        ),
      ),
    );
  }
  for (const shard of ['1/3', '2/3', '3/3']) {
    const file = join(dir, `shard-${shard[0]}.json`);
    valid.shards.push(
      JSON.parse(
        await made(
          [
            'swarm',
            '--scenario',
            'basic',
            '--faults',
            'remove-fails=1',
            '--shard',
            shard,
            '--max-states',
            '300',
            '--out',
            file,
          ],
          file,
        ),
      ),
    );
  }
  for (const [i, s] of ['basic', 'convert', 'host'].entries()) {
    valid.logs.push(
      await made(
        [
          'simulate',
          '--scenario',
          s,
          '--runs',
          '1',
          '--depth',
          '40',
          '--seed',
          String(i + 1),
          '--events-out',
          join(dir, `log-${i}.jsonl`),
        ],
        join(dir, `log-${i}.jsonl`),
      ),
    );
  }
}, 120_000);

const anyOf = <T>(xs: () => T[]) => fc.constant(null).chain(() => fc.constantFrom(...xs()));
const traceFile = () => written(dir, '.json', anyOf(() => valid.traces).chain(fileText));
const shardFile = () => written(dir, '.json', anyOf(() => valid.shards).chain(fileText));
/** An event log: valid, lines dropped or repeated, one line's event mutated, or cut short. */
const logText = anyOf(() => valid.logs).chain((log) => {
  const lines = log.split('\n').filter((l) => l !== '');
  return fc.oneof(
    fc.constant(log),
    fc.shuffledSubarray(lines).map((ls) => ls.join('\n')),
    fc
      .nat(lines.length - 1)
      .chain((i) =>
        mutated(JSON.parse(lines[i]!)).map((e) =>
          [...lines.slice(0, i), JSON.stringify(e), ...lines.slice(i + 1)].join('\n'),
        ),
      ),
    fc.nat(log.length).map((n) => log.slice(0, n)),
  );
});
const scriptText = fc.oneof(
  fc.constantFrom(...scripts).chain(fileText),
  fc.constantFrom(...scripts).map((s) => JSON.stringify(s).replace(/[{}]/, '')),
);
const missingFile = fc.constantFrom('missing.json', dir, 'README.md', '');
const code = fc.constantFrom(...modelFiles, ...policyFiles);

const argvs: Record<string, () => fc.Arbitrary<string[]>> = {
  run: () =>
    fc
      .tuple(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc
              .constantFrom('.json', '.yaml')
              .chain((ext) => written(dir, ext, scriptText)),
          },
          { weight: 1, arbitrary: missingFile },
        ),
        options({
          json: flag('--json'),
          policy: valued('--policy', code),
          kernel: flag('--kernel'),
          tree: valued('--tree', fc.constantFrom('v6.17', 'conversion-rfc', 'nosuch')),
          module: valued('--module', fc.constantFrom('1.5', '2.0', '3')),
        }),
      )
      .map(([f, o]) => ['run', f, ...o]),
  replay: () =>
    fc
      .tuple(
        fc.oneof({ weight: 6, arbitrary: traceFile() }, { weight: 1, arbitrary: missingFile }),
        options({
          json: flag('--json'),
          model: valued('--model', code),
          policy: valued('--policy', code),
        }),
      )
      .map(([f, o]) => ['replay', f, ...o]),
  explain: () =>
    fc
      .tuple(
        fc.oneof({ weight: 6, arbitrary: traceFile() }, { weight: 1, arbitrary: missingFile }),
        options({
          format: valued(
            '--format',
            fc.oneof(fc.constantFrom('text', 'json', 'markdown', 'mermaid', 'itf'), junk),
          ),
        }),
      )
      .map(([f, o]) => ['explain', f, ...o]),
  merge: () =>
    fc
      .tuple(
        fc.array(
          fc.oneof({ weight: 8, arbitrary: shardFile() }, { weight: 1, arbitrary: missingFile }),
          { maxLength: 4 },
        ),
        options({ json: flag('--json') }),
      )
      .map(([fs, o]) => ['merge', ...fs, ...o]),
  validate: () =>
    fc
      .tuple(
        fc.oneof(
          { weight: 6, arbitrary: written(dir, '.jsonl', logText) },
          { weight: 1, arbitrary: missingFile },
        ),
        options({
          scenario: valued(
            '--scenario',
            fc.constantFrom('basic', 'convert', 'host', 'contention', 'nosuch'),
          ),
          policy: valued(
            '--policy',
            fc.constantFrom('nopin', 'pin', 'nosuch', 'test/fixtures/leaky-policy.ts'),
          ),
          faults: valued('--faults', faults),
          hvo: flag('--hvo'),
          tree: valued('--tree', fc.constantFrom('v6.17', 'series-v3', 'hugepage-v3', 'nosuch')),
          module: valued('--module', fc.constantFrom('1.5', '2.0', '3')),
          map: flag('--map-addresses'),
          script: valued(
            '--script',
            fc.oneof(
              fc.constantFrom('.json', '.yaml').chain((ext) => written(dir, ext, scriptText)),
              missingFile,
            ),
          ),
          json: flag('--json'),
        }),
      )
      .map(([f, o]) => ['validate', f, ...o]),
};

describe('fuzz: commands that read files', () => {
  for (const [name, arb] of Object.entries(argvs)) {
    it(`${name}: in-process runs`, () => fuzzInProcess(name, arb(), dir), 600_000);
    it(`${name}: real processes`, () => fuzzSubprocess(name, arb(), dir), 600_000);
  }
});
