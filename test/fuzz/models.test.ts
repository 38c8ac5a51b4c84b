import * as fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { cleanup, fuzzInProcess, fuzzSubprocess, scratch } from './harness.js';
import {
  faults,
  inputs,
  intText,
  junk,
  modelSource,
  options,
  outPath,
  target as named,
  written,
} from './inputs.js';

const { flag, valued } = inputs;
const dir = scratch('models');
afterAll(() => cleanup(dir), 120_000);

/** A model as the command line names it, or a generated model file (in a folder without a
 * package.json: loaded as CommonJS). */
const target = fc.oneof(
  { weight: 3, arbitrary: named },
  { weight: 1, arbitrary: written(dir, '.ts', modelSource).map((f) => [f]) },
);

/** A bound that keeps every generated run short (appended last: the last occurrence wins). */
const bound = (name: string, max: number) =>
  fc.integer({ min: 1, max }).map((n) => [name, String(n)]);
const workers = fc.oneof(
  { weight: 30, arbitrary: fc.constant('1') },
  { weight: 1, arbitrary: fc.constantFrom('2', '0', 'x') },
);

const argvs: Record<string, fc.Arbitrary<string[]>> = {
  check: fc
    .tuple(
      target,
      options({
        json: flag('--json'),
        maxStates: valued('--max-states', intText),
        maxDepth: valued('--max-depth', intText),
        maxMemory: valued('--max-memory', intText),
        spill: valued('--spill', outPath(dir, '')),
        maxDisk: valued('--max-disk', intText),
        noDeadlock: flag('--no-deadlock'),
        noFairness: flag('--no-fairness'),
        noLiveness: flag('--no-liveness'),
        symmetry: flag('--symmetry'),
        por: flag('--por'),
        coverage: flag('--coverage'),
        traceOut: valued('--trace-out', outPath(dir, '.json')),
        workers: valued('--workers', workers),
        joinAfter: valued('--join-after', fc.oneof(intText, fc.constantFrom('0.5', '1e2', '.5'))),
        faults: valued('--faults', faults),
      }),
      bound('--max-states', 3000),
    )
    .map(([t, o, b]) => ['check', ...t, ...o, ...b]),
  graph: fc
    .tuple(
      target,
      options({
        format: valued('--format', fc.oneof(fc.constant('dot'), junk)),
        maxStates: valued('--max-states', intText),
        faults: valued('--faults', faults),
      }),
      bound('--max-states', 300),
    )
    .map(([t, o, b]) => ['graph', ...t, ...o, ...b]),
  simulate: fc
    .tuple(
      target,
      options({
        json: flag('--json'),
        runs: valued('--runs', intText),
        depth: valued('--depth', intText),
        seed: valued('--seed', intText),
        noDeadlock: flag('--no-deadlock'),
        eventsOut: valued('--events-out', outPath(dir, '.jsonl')),
        noShrink: flag('--no-shrink'),
      }),
      bound('--runs', 20),
      bound('--depth', 60),
    )
    .map(([t, o, r, d]) => ['simulate', ...t, ...o, ...r, ...d]),
  swarm: fc
    .tuple(
      target,
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('1/1', '2/4', '4/4') },
        { weight: 1, arbitrary: fc.tuple(intText, intText).map(([i, n]) => `${i}/${n}`) },
      ),
      options({
        seed: valued('--seed', intText),
        maxDepth: valued('--max-depth', intText),
        out: valued('--out', outPath(dir, '.json')),
        maxStates: valued('--max-states', intText),
        noShrink: flag('--no-shrink'),
      }),
      bound('--max-states', 2000),
    )
    .map(([t, shard, o, b]) => ['swarm', ...t, '--shard', shard, ...o, ...b]),
};

describe('fuzz: commands that explore a model', () => {
  for (const [name, arb] of Object.entries(argvs)) {
    it(`${name}: in-process runs`, () => fuzzInProcess(name, arb, dir), 600_000);
    it(`${name}: real processes`, () => fuzzSubprocess(name, arb, dir), 600_000);
  }
});
