/**
 * `npm run bench`: septcheck against SPIN on the same models, measured in one run.
 * For each model: SPIN's pan (compiled -O2, exhaustive safety search, no partial-order
 * reduction) and septcheck's single-threaded safety search, best of three runs each; the state
 * counts must agree up to SPIN's one extra state (the process before its first statement).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  check,
  checkParallel,
  type Model,
  type ModelRef,
  type Progress,
} from '../src/engine/index.js';
import { threadCpuSeconds } from '../src/engine/thread-cpu.js';
import { contention4, contentionStatesInAll, contentionWith } from './contention4.js';
import hanoi from '../examples/hanoi.js';
import { hugeQuestions, verdictTable } from '../src/claims/index.js';
import { policies } from '../src/policies/index.js';
import {
  acceptLevels as acceptLevelNames,
  buildSystem,
  type AcceptLevel,
} from '../src/kernel/index.js';
import { scenarioFamilies } from '../src/scenarios/index.js';
import puzzle8 from '../examples/puzzle8.js';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
const RUNS = 3;

interface Bench {
  readonly name: string;
  readonly model: () => Model;
  readonly promela: string;
  /** arguments to `spin -a` before the file */
  readonly spinArgs: string[];
}

const benches: Bench[] = [
  {
    name: 'hanoi disks=13',
    model: () => hanoi.build({ disks: 13 }),
    promela: 'hanoi.pml',
    spinArgs: ['-DN=13'],
  },
  { name: 'puzzle8', model: () => puzzle8.build({}), promela: 'puzzle8.pml', spinArgs: [] },
  // -o2 keeps SPIN from dropping write-only variables (the steps' status codes) from its state
  // vector: septcheck's state has them, and the counts must be of the same states.
  {
    name: 'tdx contention vcpus=4',
    model: contention4,
    promela: 'contention.pml',
    spinArgs: ['-DVCPUS=4', '-o2'],
  },
];

/** SPIN's exhaustive safety search of `b`, best of RUNS; with `reduce`, its partial-order
 * reduction on (pan compiled without -DNOREDUCE). */
function spin(
  b: Pick<Bench, 'promela' | 'spinArgs'>,
  work: string,
  reduce = false,
): { states: number; perSecond: number; seconds: number } {
  execFileSync('spin', [...b.spinArgs, '-a', join(benchDir, b.promela)], {
    cwd: work,
    stdio: 'pipe',
  });
  const flags = ['-O2', '-DSAFETY', ...(reduce ? [] : ['-DNOREDUCE']), '-DMEMLIM=16000'];
  execFileSync('gcc', [...flags, '-o', 'pan', 'pan.c'], { cwd: work, stdio: 'pipe' });
  let best = { states: 0, perSecond: 0, seconds: Infinity };
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync('./pan', ['-m10000000'], { cwd: work, encoding: 'utf8' });
    const states = Number(/(\d+) states, stored/.exec(out)![1]);
    const seconds = Number(/elapsed time ([\d.e+-]+) seconds/.exec(out)?.[1] ?? NaN);
    if (seconds < best.seconds) best = { states, seconds, perSecond: states / seconds };
  }
  return best;
}

function septcheck(b: Bench) {
  let best = { states: 0, perSecond: 0, seconds: Infinity, bytesPerState: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = check(b.model(), { liveness: false });
    if (r.seconds < best.seconds)
      best = {
        states: r.distinctStates,
        seconds: r.seconds,
        perSecond: r.distinctStates / r.seconds,
        bytesPerState: r.bytesPerState,
      };
  }
  return best;
}

function hasSpin(): boolean {
  try {
    execFileSync('spin', ['-V'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * The exhaustive safety search of the TDX bench scenario, hanoi (13 disks) and the 8-puzzle on one thread and on two (this one and a
 * worker), alternating, best of three: states per second of each and the speed-up (wall clock:
 * meaningful on an idle machine only), and the CPU seconds each thread used (thread-cpu.ts).
 * One thread's CPU seconds over the busiest thread's is the speed-up two threads on cores of
 * their own would give if neither waited for the other at a level's steps; over the mean of
 * the two, the same with the work shared exactly evenly (each partition owns half the states,
 * by fingerprint, so the two are close).
 */
async function workerSpeedup(): Promise<void> {
  for (const [name, module, exportName] of [
    ['tdx contention vcpus=4', './contention4.js', 'contention4'],
    ['hanoi disks=13', './examples.js', 'hanoi13'],
    ['puzzle8', './examples.js', 'puzzle'],
  ] as const)
    await threadsOn(name, { url: new URL(module, import.meta.url).href, exportName, arg: null });
}

async function threadsOn(name: string, ref: ModelRef): Promise<void> {
  const model: Model = (await import(ref.url))[ref.exportName]();
  let one = 0;
  let two = 0;
  let oneCpu = Infinity;
  let twoCpu: readonly number[] = [Infinity];
  for (let i = 0; i < RUNS; i++) {
    const before = threadCpuSeconds() ?? NaN;
    const r1 = check(model, { liveness: false });
    oneCpu = Math.min(oneCpu, (threadCpuSeconds() ?? NaN) - before);
    one = Math.max(one, r1.distinctStates / r1.seconds);
    const r2 = await checkParallel(model, ref, 2, { liveness: false });
    two = Math.max(two, r2.distinctStates / r2.seconds);
    const cpu = r2.threadCpuSeconds ?? [NaN];
    if (Math.max(...cpu) < Math.max(...twoCpu)) twoCpu = cpu;
  }
  const ceiling = await machineCeiling(ref);
  const busiest = Math.max(...twoCpu);
  const shared = twoCpu.reduce((a, b) => a + b, 0) / twoCpu.length;
  console.log(
    `\nthreads (${name}): 1 thread ${fmt(one)} states/s, 2 threads ${fmt(two)} states/s, speed-up ${(two / one).toFixed(2)} (wall clock; target 1.6)`,
  );
  console.log(
    `  CPU seconds: 1 thread ${oneCpu.toFixed(2)}; 2 threads ${twoCpu.map((c) => c.toFixed(2)).join(' + ')} (this one + the worker); ratio to the busiest thread ${(oneCpu / busiest).toFixed(2)}, to the work shared evenly ${(oneCpu / shared).toFixed(2)}`,
  );
  console.log(
    `  the machine's ceiling: two one-thread searches at once ${ceiling.both.map((t) => t.toFixed(2)).join(' and ')} s, one alone ${ceiling.alone.toFixed(2)} s: two threads could reach ${((2 * ceiling.alone) / Math.max(...ceiling.both)).toFixed(2)}`,
  );
}

/** Two independent one-thread searches at once, each on a thread of its own, against one alone
 * (best of RUNS each): what two threads could gain at most on this machine, whatever the
 * search's design (caches, the memory bus and the hypervisor's cores are shared). */
async function machineCeiling(ref: ModelRef): Promise<{ alone: number; both: number[] }> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { check } = await import(workerData.engine);
  const model = (await import(workerData.url))[workerData.exportName]();
  const started = performance.now();
  check(model, { liveness: false });
  parentPort.postMessage((performance.now() - started) / 1000);
})();`;
  const workerData = { ...ref, engine: new URL('../src/engine/index.js', import.meta.url).href };
  const run = () =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData });
      w.once('message', resolve).once('error', reject);
    });
  let alone = Infinity;
  let both = [Infinity, Infinity];
  for (let i = 0; i < RUNS; i++) {
    alone = Math.min(alone, await run());
    const b = await Promise.all([run(), run()]);
    if (Math.max(...b) < Math.max(...both)) both = b;
  }
  return { alone, both };
}

/** What a state costs on the TDX bench scenario, safety search on one thread (--json's fields). */
function memory(): void {
  const r = check(contention4(), { liveness: false });
  console.log(
    `\nmemory (tdx contention vcpus=4, safety, one thread): ${r.bytesPerVisitedState} bytes per visited state (target 16), ${r.bytesPerState} bytes per state at the peak (queue included), ${r.bytesPerQueuedState} per queued state`,
  );
}

/**
 * The 6-vCPU contention scenario within --max-memory 20000 (MiB): with --por and without
 * --symmetry (issue 16's target), beside the --symmetry run; states, bytes per state and seconds.
 * Long: `npm run bench -- --six-vcpus` runs this alone.
 */
function sixVcpus(): void {
  const model = contentionWith(6);
  console.log('\ncontention vcpus=6, safety, one thread, --max-memory 20000:');
  for (const [label, o] of [
    ['--por', { por: true }],
    ['--symmetry', { symmetry: true }],
  ] as const) {
    // An hour or two: where it is, on stderr, every ten minutes.
    let next = 600;
    const onProgress = (p: Progress) => {
      if (p.seconds < next) return;
      next += 600;
      console.error(
        `  ${label} ${Math.round(p.seconds)} s: ${fmt(p.states)} states, ${fmt(p.queue)} queued, depth ${p.depth}`,
      );
    };
    const r = check(model, { liveness: false, maxMemory: 20000 * 2 ** 20, onProgress, ...o });
    console.log(
      `  ${label.padEnd(12)} ${r.result}${r.stoppedBy ? ` (${r.stoppedBy})` : ''}: ${fmt(r.distinctStates)} states, ${r.bytesPerState} bytes per state, ${r.seconds.toFixed(1)} s`,
    );
  }
  const { reduced, inAll } = contentionStatesInAll(6);
  console.log(
    `  without reduction: ${fmt(inAll)} states (the orbit sizes of the ${fmt(reduced)} states up to symmetry; --por keeps all but a few)`,
  );
}
/** Wall seconds of a fresh `septcheck check` process (as users meet it). */
function cliSeconds(args: string[]): number {
  const cli = join(benchDir, '..', 'dist', 'src', 'cli', 'septcheck.js');
  const started = performance.now();
  execFileSync(process.execPath, [cli, 'check', ...args, '--json'], {
    stdio: 'pipe',
    maxBuffer: 1 << 26,
  });
  return (performance.now() - started) / 1000;
}

/** Defaults against --workers 1, each a fresh process, alternating, best of three. */
function defaultsAgainstOneThread(): void {
  console.log(
    '\ndefaults against --workers 1 (fresh processes, best of three; ratio > 1: defaults faster)',
  );
  const targets = [
    ['puzzle8'],
    ['hanoi', '--param', 'disks=13'],
    ...['basic', 'convert', 'contention', 'teardown'].map((s) => ['--scenario', s]),
  ];
  for (const t of targets) {
    let d = Infinity;
    let one = Infinity;
    for (let i = 0; i < RUNS; i++) {
      d = Math.min(d, cliSeconds(t));
      one = Math.min(one, cliSeconds([...t, '--workers', '1']));
    }
    console.log(
      `  ${t.join(' ').padEnd(28)} defaults ${d.toFixed(2)} s, --workers 1 ${one.toFixed(2)} s, ratio ${(one / d).toFixed(2)}`,
    );
  }
}

/** Liveness against --no-liveness on the 4-vCPU contention scenario, one thread, best of three. */
function livenessCost(): void {
  const model = contention4();
  let live = Infinity;
  let safe = Infinity;
  let liveBytes = 0;
  let safeBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const s = check(model, { liveness: false });
    const l = check(model);
    if (s.seconds < safe) [safe, safeBytes] = [s.seconds, s.bytesPerState];
    if (l.seconds < live) [live, liveBytes] = [l.seconds, l.bytesPerState];
  }
  console.log(
    `\nliveness (tdx contention vcpus=4): ${live.toFixed(2)} s (${liveBytes} bytes/state) against --no-liveness ${safe.toFixed(2)} s (${safeBytes} bytes/state), ratio ${(live / safe).toFixed(2)}`,
  );
}

/** The contention scenario over 2 to SCALE_VCPUS (default 4) vCPUs: states and seconds of the
 * safety search plain, with symmetry, with partial-order reduction and with both; and, given a
 * `work` directory, SPIN on the Promela twin (bench/contention.pml, 2 to 4 vCPUs) without and
 * with its partial-order reduction. */
function scaling(work?: string): void {
  const top = Number(process.env.SCALE_VCPUS ?? 4);
  const heads = ['plain', '--symmetry', '--por', 'both', ...(work ? ['spin', 'spin POR'] : [])];
  console.log(`\nscaling (tdx contention, safety, one thread): states / seconds`);
  console.log(`  ${'vcpus'.padEnd(6)}${heads.map((h) => h.padStart(24)).join('')}`);
  const cell = (states: number, seconds: number) =>
    `${fmt(states)} / ${seconds.toFixed(2)}`.padStart(24);
  for (let v = 2; v <= top; v++) {
    const model = contentionWith(v);
    const cells = [{}, { symmetry: true }, { por: true }, { symmetry: true, por: true }].map(
      (o) => {
        const r = check(model, { liveness: false, ...o });
        return cell(r.distinctStates, r.seconds);
      },
    );
    if (work && v <= 4)
      for (const reduce of [false, true]) {
        const r = spin(
          { promela: 'contention.pml', spinArgs: [`-DVCPUS=${v}`, '-o2'] },
          work,
          reduce,
        );
        cells.push(cell(r.states, r.seconds));
      }
    console.log(`  ${String(v).padEnd(6)}${cells.join('')}`);
  }
}

/** `claims --huge`'s columns for every design (too long for npm test): the verdicts
 * docs/huge-pages.md states, and the seconds they take. */
function claimsHuge(): void {
  const started = performance.now();
  const rows = verdictTable(Object.values(policies), undefined, hugeQuestions);
  const seconds = (performance.now() - started) / 1000;
  // per question: the designs whose cell is not the column's usual verdict
  const expected: Record<string, [string, Record<string, string>]> = {
    'huge-partial-unmap-completes': ['pass', { pin: 'fail' }],
    'failed-demote-safe': ['leak', { nopin: 'fail' }],
    'dpamt-safe': ['leak', { 'reclaim-after-teardown': 'pass' }],
  };
  const wrong: string[] = [];
  for (const r of rows) {
    console.log(`  ${r.policy.padEnd(24)} ${r.cells.map((c) => c.verdict.padEnd(6)).join('')}`);
    for (const c of r.cells) {
      const [usual, except] = expected[c.question]!;
      if (c.verdict !== (except[r.policy] ?? usual)) wrong.push(`${r.policy} ${c.question}`);
      // dpamt-safe's huge conversion under module 2.0 (folio-pages 2 and 4): the plan's section
      // 6, column 3: no fault passes; a failed REMOVE leaks, but not under reclaim-after-teardown
      if (c.question !== 'dpamt-safe') continue;
      for (const run of c.runs.filter((x) => x.scenario === 'convert')) {
        const want = run.faults && r.policy !== 'reclaim-after-teardown' ? 'leak' : 'pass';
        if (run.verdict !== want)
          wrong.push(`${r.policy} dpamt-safe convert ${run.faults} ${JSON.stringify(run.params)}`);
      }
    }
  }
  console.log(`claims --huge, its ${hugeQuestions.length} columns: ${seconds.toFixed(2)} s`);
  if (wrong.length) throw new Error(`unexpected verdicts: ${wrong.join(', ')}`);
}

/** huge-map with each accept level of the guest at folio-pages 2 and 4, every property
 * checked (accept-completes included): the state counts docs/huge-pages.md states (npm test
 * asserts those at 2 pages). */
function acceptLevels(): void {
  const states: Record<AcceptLevel, [number, number]> = {
    linux: [364, 1_932],
    '2m': [364, 1_932],
    '4k': [1_236, 34_428],
    either: [2_248, 55_540],
  };
  const wrong: string[] = [];
  for (const [i, level] of acceptLevelNames.entries()) {
    for (const [j, pages] of [2, 4].entries()) {
      const r = check(
        buildSystem({
          scenario: scenarioFamilies['huge-map']!.build({
            vcpus: 1,
            'folio-pages': pages,
            accept: i,
          }),
          policy: policies.nopin!,
          faults: {},
          hvo: false,
          tree: 'hugepage-v3',
        }),
      );
      console.log(
        `  huge-map accept=${level} folio-pages=${pages}: ${r.result}, ${r.distinctStates} states, ${r.seconds.toFixed(2)} s`,
      );
      if (r.result !== 'ok' || r.distinctStates !== states[level][j])
        wrong.push(`${level} ${pages}`);
    }
  }
  if (wrong.length) throw new Error(`unexpected huge-map runs: ${wrong.join(', ')}`);
}

if (process.argv.includes('--claims-huge')) {
  claimsHuge();
  process.exit(0);
}
if (process.argv.includes('--accept-levels')) {
  acceptLevels();
  process.exit(0);
}
if (process.argv.includes('--six-vcpus')) {
  sixVcpus();
  process.exit(0);
}
if (process.argv.includes('--threads')) {
  await workerSpeedup();
  process.exit(0);
}
if (process.argv.includes('--engine-only')) {
  await workerSpeedup();
  memory();
  defaultsAgainstOneThread();
  livenessCost();
  scaling();
  process.exit(0);
}
if (!hasSpin()) {
  console.error('bench: spin is not installed (apt-get install spin)');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'septcheck-bench-'));
try {
  console.log(
    `${'model'.padEnd(24)} ${'states: septcheck / spin'.padEnd(44)}${'septcheck/s'.padStart(12)}   ${'spin/s'.padStart(12)}   ratio   bytes/state`,
  );
  // --scaling: the scaling table alone.
  for (const b of process.argv.includes('--scaling') ? [] : benches) {
    const s = spin(b, work);
    const c = septcheck(b);
    const agree =
      s.states === c.states + 1
        ? 'agree (+1 spin init)'
        : s.states === c.states
          ? 'agree'
          : 'DISAGREE';
    console.log(
      `${b.name.padEnd(24)} ${`${fmt(c.states)} / ${fmt(s.states)} ${agree}`.padEnd(44)}${fmt(c.perSecond).padStart(12)}   ${fmt(s.perSecond).padStart(12)}   ${(c.perSecond / s.perSecond).toFixed(2).padStart(5)}   ${c.bytesPerState}`,
    );
    if (agree === 'DISAGREE') process.exitCode = 1;
  }
  if (!process.argv.includes('--scaling')) {
    await workerSpeedup();
    memory();
    defaultsAgainstOneThread();
    livenessCost();
  }
  scaling(work);
  sixVcpus();
} finally {
  rmSync(work, { recursive: true, force: true });
}
