/**
 * Generators of septcheck inputs for the fuzz tests: argument vectors per command, and the files
 * they read (model and policy files, scripts, traces, event logs, swarm results), made from valid
 * ones mutated: fields dropped, wrong types, huge numbers, wrong lengths, truncated bytes.
 *
 * To extend for a new flag: add it to the command's `flags` below (with values that are valid,
 * invalid and extreme); for a new output kind, add its schema in schemas/ and in harness.ts.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { parse } from 'yaml';
import { root } from './harness.js';

const text = fc.string({ maxLength: 12 }).map((s) => s.replace(/\0/g, ''));

/** A number as text: valid, negative, fractional, huge, not a number. */
export const intText = fc.oneof(
  { weight: 3, arbitrary: fc.nat(12).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '-1',
      '0',
      '1.5',
      '1e3',
      '0x10',
      'abc',
      '',
      '9007199254740993',
      '99999999999999999999999',
      ' 3',
    ),
  },
);

/** Tokens a user might mistype: unknown flags, stray values, help. */
export const junk = fc.oneof(
  text,
  fc.constantFrom(
    '--',
    '-',
    '--nosuch',
    '-x',
    '--json=1',
    '--help',
    '--version',
    '--max-states',
    '--param',
    '--policy',
    '--faults=',
    '-h',
  ),
);

const faultKinds = [
  'remove-fails',
  'block-fails',
  'busy',
  'transient-refs',
  'memory-failure',
  'add-fails',
];
/** A --faults value: known and unknown kinds, good and bad counts. */
export const faults = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...faultKinds) },
        { weight: 1, arbitrary: text },
      ),
      fc.oneof({ weight: 4, arbitrary: fc.nat(3).map(String) }, { weight: 1, arbitrary: intText }),
    ),
    { maxLength: 3 },
  )
  .map((kv) => kv.map(([k, v]) => `${k}=${v}`).join(','));

const fixture = (f: string) => `test/fixtures/${f}`;
export const modelFiles = [
  'test/fixtures/counter-model.ts',
  'test/fixtures/fan-model.ts',
  'test/fixtures/throws.ts',
  'test/fixtures/broken-syntax.ts',
  ...readdirSync(join(root, 'test/fixtures/throwing')).map((f) => fixture(`throwing/${f}`)),
  'test/fixtures/commonjs/counter.ts',
  'test/fixtures/commonjs/throws.ts',
  'test/fixtures/leaky-policy.ts',
];
export const policyFiles = [
  'test/fixtures/leaky-policy.ts',
  'test/fixtures/bad-policy.ts',
  'test/fixtures/unused-var-policy.ts',
  'test/fixtures/broken-syntax.ts',
  'examples/policies/ref-on-remove-failure.ts',
  'test/fixtures/counter-model.ts',
];
const bundledModels = ['peterson', 'naive-mutex', 'philosophers', 'counters', 'hanoi', 'puzzle8'];
const policies = [
  'pin',
  'nopin',
  'unmap-error',
  'ref-on-zap-failure',
  'page-flag',
  'page-ext',
  'hwpoison',
  'reclaim-after-teardown',
];
const scenarios = [
  'basic',
  'convert',
  'contention',
  'teardown',
  'host',
  'dpamt',
  'huge-map',
  'huge-convert',
  'huge-punch',
];
const missing = fc.constantFrom('missing.ts', 'nosuch', 'dir/', '.', 'x.js', 'README.md', '');

const param = fc
  .tuple(fc.constantFrom('n', 'k', 'disks', 'limit', 'pegs', 'x', ''), intText)
  .map(([k, v]) => (k ? `${k}=${v}` : v));

/** What a command names its model by: a model (bundled, a file, missing) with --param, or a scenario. */
export const target = fc.oneof(
  fc
    .tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...bundledModels, ...modelFiles) },
        { weight: 1, arbitrary: missing },
      ),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as string[]) },
        { weight: 1, arbitrary: fc.array(param, { minLength: 1, maxLength: 2 }) },
      ),
    )
    .map(([m, ps]) => [m, ...ps.flatMap((p) => ['--param', p])]),
  fc
    .record(
      {
        scenario: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...scenarios) },
          { weight: 1, arbitrary: text },
        ),
        policy: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...policies, ...policyFiles) },
          { weight: 1, arbitrary: missing },
        ),
        faults,
        hvo: fc.boolean(),
        withoutPageExt: fc.boolean(),
        tree: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom('v6.17', 'series-v3', 'conversion-rfc', 'hugepage-v3'),
          },
          { weight: 1, arbitrary: text },
        ),
        module: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('1.5', '2.0') },
          { weight: 1, arbitrary: text },
        ),
      },
      { requiredKeys: ['scenario'] },
    )
    .map((o) => [
      '--scenario',
      o.scenario,
      ...(o.policy !== undefined ? ['--policy', o.policy] : []),
      ...(o.faults !== undefined ? ['--faults', o.faults] : []),
      ...(o.hvo ? ['--hvo'] : []),
      ...(o.withoutPageExt ? ['--without-page-ext'] : []),
      ...(o.tree !== undefined ? ['--tree', o.tree] : []),
      ...(o.module !== undefined ? ['--module', o.module] : []),
    ]),
  fc.constant([] as string[]),
);

/** Options of a command, each present or not, in a shuffled order, sometimes with junk. */
export function options(flags: Record<string, fc.Arbitrary<string[]>>): fc.Arbitrary<string[]> {
  const parts = Object.values(flags).map((a) => fc.option(a, { nil: undefined, freq: 2 }));
  return fc
    .tuple(
      fc.tuple(...parts),
      fc.array(junk, { maxLength: 1 }),
      fc.nat(7).map((n) => n === 0),
    )
    .chain(([chosen, extra, withJunk]) =>
      fc
        .shuffledSubarray(
          [
            ...chosen.filter((c): c is string[] => c !== undefined),
            ...(withJunk ? extra.map((j) => [j]) : []),
          ],
          { minLength: 0 },
        )
        .map((xs) => xs.flat()),
    );
}

const flag = (name: string) => fc.constant([name]);
const valued = (name: string, value: fc.Arbitrary<string>) => value.map((v) => [name, v]);

/** Mutations of a JSON value: a field dropped, a wrong type, a huge number, a wrong length. */
export function mutated(value: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (paths.length > 400) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  const replacement = fc.oneof(
    fc.constantFrom(
      null,
      -1,
      0,
      1.5,
      2 ** 53 + 2,
      1e308,
      '',
      'x',
      true,
      [],
      {},
      [1, 2, 3],
      'septcheck-trace/1',
      'nopin',
      'hanoi',
      'test/fixtures/leaky-policy.ts',
      'test/fixtures/counter-model.ts',
    ),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const op = fc.record({
    path: fc.constantFrom(...paths),
    kind: fc.constantFrom('drop', 'set', 'set', 'grow', 'shrink'),
    to: replacement,
  });
  return fc.array(op, { minLength: 0, maxLength: 3 }).map((ops) => {
    let v: unknown = structuredClone(value);
    for (const o of ops) v = apply(v, o.path, o.kind, o.to);
    return v;
  });
}

function apply(v: unknown, path: (string | number)[], kind: string, to: unknown): unknown {
  if (path.length === 0) return kind === 'drop' ? undefined : kind === 'set' ? to : v;
  const [head, ...rest] = path;
  if (v === null || typeof v !== 'object') return v;
  const copy: Record<string | number, unknown> = Array.isArray(v) ? [...v] : { ...v };
  if (!(head! in copy)) return v;
  if (rest.length > 0) copy[head!] = apply(copy[head!], rest, kind, to);
  else if (kind === 'drop')
    Array.isArray(copy) ? (copy as unknown[]).splice(Number(head), 1) : delete copy[head!];
  else if (kind === 'set') copy[head!] = to;
  else if (kind === 'grow' && Array.isArray(copy[head!]))
    copy[head!] = [...(copy[head!] as unknown[]), ...(copy[head!] as unknown[])];
  else if (kind === 'shrink' && Array.isArray(copy[head!]))
    copy[head!] = (copy[head!] as unknown[]).slice(1);
  return copy;
}

/** A file's text: valid JSON (mutated or not), or cut short at some byte. */
export function fileText(valid: unknown): fc.Arbitrary<string> {
  const json = JSON.stringify(valid, null, 1);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(json) },
    { weight: 5, arbitrary: mutated(valid).map((v) => JSON.stringify(v) ?? '') },
    { weight: 1, arbitrary: fc.nat(json.length).map((n) => json.slice(0, n)) },
  );
}

let counter = 0;
/** Writes generated file contents to `dir` (a fresh name each), giving the file's path. */
export function written(
  dir: string,
  ext: string,
  content: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  return content.map((c) => {
    const path = join(dir, `in-${process.pid}-${counter++}${ext}`);
    writeFileSync(path, c);
    return path;
  });
}

/** An output path in `dir`: fresh, in a missing folder, or a folder. */
export function outPath(dir: string, ext: string): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constant(null).map(() => join(dir, `out-${process.pid}-${counter++}${ext}`)),
    },
    { weight: 1, arbitrary: fc.constant(join(dir, 'no-such-folder', `x${ext}`)) },
    { weight: 1, arbitrary: fc.constant(dir) },
  );
}

export const inputs = { flag, valued };

/** The selftest scripts, parsed: valid scripts to mutate. */
export const scripts: unknown[] = readdirSync(join(root, 'test/selftests'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parse(readFileSync(join(root, 'test/selftests', f), 'utf8')) as unknown);

/** The first value most of the time (valid), else one of the others (broken). */
const mostly = (valid: string, ...broken: string[]) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...broken) },
  );

/** A model file's source, each part valid or broken in one of the ways users break them. */
export const modelSource = fc
  .record({
    name: mostly("'gen'", '42', 'undefined'),
    stateSize: mostly('2', '0', '-1', '1.5', "'2'", '300', 'undefined'),
    initial: mostly(
      '() => [new Uint8Array(2)]',
      '() => []',
      '() => [new Uint8Array(3)]',
      "() => { throw new Error('initial failed'); }",
      '() => 7',
      'undefined',
      '() => [[0, 0]]',
    ),
    next: mostly(
      '(s, out) => { if (s[0] < 3) out.next()[0] = s[0] + 1; }',
      '(s, out) => { out.next()[1] = (s[1] + 1) % 3; }',
      "(s) => { if (s[0] === 2) throw new TypeError('next failed'); }",
      '(s, out) => { out.next()[0] = 999; }',
      '(s, out) => { s[0] = 1; out.next(); }',
      "(s, out) => { if (s[0] === 1) throw 'a string'; out.next()[0] = 1; }",
    ),
    actions: mostly('[A]', '[]', '[A, A]', 'undefined', "[{ name: 'x' }]", '[A, 5]'),
    invariants: mostly(
      '[]',
      "[{ name: 'below-3', doc: 'd', check: (s) => s[0] < 3 }]",
      "[{ name: 'boom', doc: 'd', check: (s) => { if (s[0] === 1) throw new Error('check failed'); return true; } }]",
      "[{ name: 'leak', doc: 'd', severity: 'finding', findingKind: 'leak', check: (s) => s[0] !== 2 }]",
      '5',
    ),
    liveness: mostly(
      '[]',
      "[{ name: 'ends', doc: 'd', kind: 'eventually', p: (s) => s[0] === 3 }]",
      "[{ name: 'lt', doc: 'd', kind: 'leadsTo', p: () => true }]",
      "[{ name: 'x', doc: 'd', kind: 'sometimes', p: () => true }]",
      "[{ name: 'thr', doc: 'd', kind: 'alwaysEventually', p: (s) => { if (s[0] === 2) throw new Error('p failed'); return true; } }]",
    ),
    view: mostly(
      'undefined',
      '(s) => ({ a: s[0] })',
      "(s) => { if (s[0] === 1) throw new Error('view failed'); return {}; }",
      '(s) => null',
    ),
    canonical: mostly(
      'undefined',
      '(s) => {}',
      "(s) => { if (s[0] === 1) throw new Error('canonical failed'); }",
    ),
    params: mostly(
      '{}',
      "{ n: { default: 2, min: 1, max: 4, doc: 'n' } }",
      "{ n: { default: 9, min: 1, max: 4, doc: 'n' } }",
      "{ n: 'x' }",
    ),
    build: mostly('model', "(() => { throw new RangeError('build failed'); })()", 'null', '5'),
    tail: mostly(
      '',
      '\nthrow new Error("top level");',
      '\nexport const x = ;',
      '\nexport default 5;',
    ),
  })
  .map(
    (m) => `const A = { name: 'a', process: 'p', fairness: 'weak', next: ${m.next} };
const model = { stateSize: ${m.stateSize}, initial: ${m.initial}, actions: ${m.actions}, invariants: ${m.invariants}, liveness: ${m.liveness}, view: ${m.view}, canonical: ${m.canonical} };
export default { name: ${m.name}, doc: 'generated', params: ${m.params}, build: () => ${m.build} };${m.tail}
`,
  );
