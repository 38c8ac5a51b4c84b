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
import { check, checkParallel, type Model, type ModelRef } from '../src/engine/index.js';
import { contention4, contentionWith } from './contention4.js';
import hanoi from '../examples/hanoi.js';
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

function spin(b: Bench, work: string): { states: number; perSecond: number; seconds: number } {
  execFileSync('spin', [...b.spinArgs, '-a', join(benchDir, b.promela)], {
    cwd: work,
    stdio: 'pipe',
  });
  execFileSync('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=16000', '-o', 'pan', 'pan.c'], {
    cwd: work,
    stdio: 'pipe',
  });
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

/** The TDX bench scenario's exhaustive safety search on one thread and on two (this one and a
 * worker): states per second of each (best of three) and the speed-up. */
async function workerSpeedup(): Promise<void> {
  const model = contention4();
  const ref: ModelRef = {
    url: new URL('./contention4.js', import.meta.url).href,
    exportName: 'contention4',
    arg: null,
  };
  const rate = async (threads: number) => {
    let best = 0;
    for (let i = 0; i < RUNS; i++) {
      const r =
        threads === 1
          ? check(model, { liveness: false })
          : await checkParallel(model, ref, threads, { liveness: false });
      best = Math.max(best, r.distinctStates / r.seconds);
    }
    return best;
  };
  const one = await rate(1);
  const two = await rate(2);
  console.log(
    `\nthreads (tdx contention vcpus=4): 1 thread ${fmt(one)} states/s, 2 threads ${fmt(two)} states/s, speed-up ${(two / one).toFixed(2)}`,
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
 * safety search plain, with symmetry, with partial-order reduction and with both. */
function scaling(): void {
  const top = Number(process.env.SCALE_VCPUS ?? 4);
  console.log(`\nscaling (tdx contention, safety, one thread): states / seconds`);
  console.log(
    `  ${'vcpus'.padEnd(6)}${['plain', '--symmetry', '--por', 'both'].map((h) => h.padStart(24)).join('')}`,
  );
  for (let v = 2; v <= top; v++) {
    const model = contentionWith(v);
    const cells = [{}, { symmetry: true }, { por: true }, { symmetry: true, por: true }].map(
      (o) => {
        const r = check(model, { liveness: false, ...o });
        return `${fmt(r.distinctStates)} / ${r.seconds.toFixed(2)}`.padStart(24);
      },
    );
    console.log(`  ${String(v).padEnd(6)}${cells.join('')}`);
  }
}

if (process.argv.includes('--engine-only')) {
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
  for (const b of benches) {
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
  await workerSpeedup();
  defaultsAgainstOneThread();
  livenessCost();
  scaling();
} finally {
  rmSync(work, { recursive: true, force: true });
}
