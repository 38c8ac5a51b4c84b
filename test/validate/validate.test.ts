import { describe, expect, it } from 'vitest';
import { observeRun, simulate, validate, type LoggedEvent } from '../../src/engine/index.js';
import { mapAddresses } from '../../src/kernel/index.js';
import { system } from '../kernel/helpers.js';
import { septcheck } from '../cli/run.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cpuOf = (p: string | null) => (p?.startsWith('vcpu') ? Number(p.slice(4)) : 8);

/** The log a tracer would have captured of a random run of a scenario. */
function capture(scenario: string, seed: number, depth = 80): LoggedEvent[] {
  const model = system({ scenario });
  const run = simulate(model, { runs: 1, depth, seed });
  return observeRun(model, run.lastRun, cpuOf);
}

/** The first seed whose run logs an event that satisfies `want`. */
function captureWith(scenario: string, want: (events: LoggedEvent[]) => boolean): LoggedEvent[] {
  for (let seed = 1; seed < 500; seed++) {
    const events = capture(scenario, seed);
    if (want(events)) return events;
  }
  throw new Error(`no seed gives a log of ${scenario} with what the test wants`);
}

const at = (events: LoggedEvent[], fn: string) => events.findIndex((e) => e.fn === fn);

describe('logs of random runs validate', () => {
  it.each([
    ['basic', 1],
    ['basic', 2],
    ['basic', 3],
    ['convert', 1],
    ['convert', 2],
    ['contention', 1],
    ['contention', 2],
    ['teardown', 1],
  ])('%s, seed %i', (scenario, seed) => {
    const events = capture(scenario, seed);
    expect(events.length).toBeGreaterThan(3);
    const r = validate(system({ scenario }), events);
    expect(r).toMatchObject({ valid: true, matched: events.length });
  });
});

describe('a log the model cannot explain is rejected at the right event', () => {
  it('an event dropped: a TRACK with no BLOCK before it', () => {
    const events = captureWith('basic', (e) => at(e, 'tdh_mem_range_block') >= 0);
    const i = at(events, 'tdh_mem_range_block');
    const dropped = [...events.slice(0, i), ...events.slice(i + 1)];
    expect(dropped[i]!.fn).toBe('tdh_mem_track');
    expect(validate(system({ scenario: 'basic' }), dropped)).toMatchObject({
      valid: false,
      index: i,
    });
  });

  it('an event duplicated: the same ADD twice', () => {
    const events = capture('basic', 1);
    const i = at(events, 'tdh_mem_page_add');
    const twice = [...events.slice(0, i + 1), events[i]!, ...events.slice(i + 1)];
    expect(validate(system({ scenario: 'basic' }), twice)).toMatchObject({
      valid: false,
      index: i + 1,
    });
  });

  it('an event reordered across a lock: an AUG moved inside the invalidation of its own page', () => {
    const events = captureWith(
      'contention',
      (e) =>
        at(e, 'tdh_mem_page_aug') >= 0 &&
        at(e, 'kvm_gmem_invalidate_begin') > at(e, 'tdh_mem_page_aug'),
    );
    const aug = at(events, 'tdh_mem_page_aug');
    const begin = at(events, 'kvm_gmem_invalidate_begin');
    const moved = [
      ...events.slice(0, aug),
      ...events.slice(aug + 1, begin + 1),
      events[aug]!,
      ...events.slice(begin + 1),
    ];
    expect(validate(system({ scenario: 'contention' }), moved)).toMatchObject({
      valid: false,
      index: begin,
    });
  });

  it('a wrong return value: REMOVE failing where the model has no fault to spend', () => {
    const events = captureWith('basic', (e) => at(e, 'tdh_mem_page_remove') >= 0);
    const i = at(events, 'tdh_mem_page_remove');
    const wrong = events.map((e, j) => (j === i ? { ...e, ret: '0xC0000B0D00000001' } : e));
    const r = validate(system({ scenario: 'basic' }), wrong);
    expect(r).toMatchObject({ valid: false, index: i });
    if (!r.valid)
      expect(r.allowed).toContainEqual({
        fn: 'tdh_mem_page_remove',
        args: { gpa: 0, level: 0 },
        ret: '0x0000000000000000',
      });
    // With a REMOVE failure in the budget, the same log is explained up to KVM_BUG_ON, which it lacks.
    const withFault = validate(system({ scenario: 'basic', faults: 'remove-fails=1' }), wrong);
    expect(withFault).toMatchObject({ valid: false, index: i + 1 });
    if (!withFault.valid) expect(withFault.allowed).toEqual([{ fn: 'kvm_vm_bugged' }]);
  });
});

describe('septcheck validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'septcheck-events-'));

  it('says valid, with the number of events, exit 0', () => {
    const file = join(dir, 'run.jsonl');
    const r0 = septcheck(
      'simulate',
      '--scenario',
      'basic',
      '--runs',
      '1',
      '--depth',
      '60',
      '--seed',
      '4',
      '--events-out',
      file,
    );
    expect(r0.code).toBe(0);
    const r = septcheck('validate', file, '--scenario', 'basic');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${file}: valid: all 16 events are a behaviour of tdx (scenario=basic policy=nopin faults=none hvo=false)\n`,
    );
  });

  it('names the first event it cannot explain, the state there and what could have come, exit 1', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      '{"fn":"tdh_mem_page_remove","args":{"gpa":0,"level":0},"ret":"0x0000000000000000"}\n',
    );
    const r = septcheck('validate', file, '--scenario', 'basic', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ valid: false, event: 1, matched: 0 });
    expect(j.state['vmm op']).toBe('0: init-mem');
    expect(j.allowed).toEqual([
      { fn: 'tdh_mem_page_add', args: { gpa: 0, pfn: 0 }, ret: '0x0000000000000000' },
    ]);
  });

  it.each([
    ['{"fn": 1}', ':1: field "fn" is not a string'],
    ['not json', ':1: not a JSON object'],
    ['{"fn":"x","args":{"gpa":"zero"}}', ':1: field "args" is not an object of numbers'],
  ])('a bad log line (%s) is one line, exit 2', (line, message) => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(file, `${line}\n`);
    const r = septcheck('validate', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`septcheck: ${file}${message}\n`);
  });
});

describe("a real host's addresses", () => {
  it("are renamed to the scenario's pages in order of first appearance", () => {
    const events = captureWith(
      'basic',
      (e) => at(e, 'tdh_phymem_page_wbinvd_hkid') >= 0 && at(e, 'tdh_mem_page_aug') >= 0,
    );
    const base = 0x1_0000_0000;
    const real = events.map((e) => {
      if (!e.args) return e;
      const a: Record<string, number> = { ...e.args };
      if (a.gpa !== undefined) a.gpa += base;
      if (a.pfn !== undefined) a.pfn += 0x8_0000;
      if (a.gfn !== undefined) a.gfn += base / 0x1000;
      if (a.offset !== undefined) a.offset += base;
      if (a.start !== undefined) ((a.start += base / 0x1000), (a.end! += base / 0x1000));
      return { ...e, args: a };
    });
    expect(validate(system({ scenario: 'basic' }), real).valid).toBe(false);
    expect(validate(system({ scenario: 'basic' }), mapAddresses(real))).toMatchObject({
      valid: true,
      matched: events.length,
    });
  });
});

describe('events of functions the model does not show', () => {
  it('are skipped, and counted', () => {
    const events = capture('basic', 1);
    const noisy = events.flatMap((e) =>
      e.fn === 'tdh_mem_page_aug'
        ? [{ fn: 'tdx_sept_set_private_spte', args: { gfn: 1, level: 0 } }, e]
        : [e],
    );
    const r = validate(system({ scenario: 'basic' }), noisy);
    expect(r).toMatchObject({
      valid: true,
      matched: events.length,
      ignored: noisy.length - events.length,
    });
  });
});

describe('tools/septcheck-trace.bt', () => {
  it("parses and passes bpftrace's semantic checks (bpftrace -d)", async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('bpftrace', ['-d', 'tools/septcheck-trace.bt'], { encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain('AST after: Semantic');
    // Compiling needs the running kernel's symbols (vmemmap_base): only a TDX host has them.
    expect(
      out
        .split('\n')
        .filter(
          (l) =>
            /ERROR|error:/.test(l) &&
            !/RLIMIT_MEMLOCK|available_filter_functions|resolve kernel symbol/.test(l),
        ),
    ).toEqual([]);
  });
});

describe('the host scenario, for real logs', () => {
  it('explains the logs of a scenario of the same shape: its VMM may do any of their operations in any order', () => {
    // (Same shape: two pages, built before FINALIZE. A log of the one-page contention scenario
    // is rejected at its first invalidation, whose range is one page, not two.)
    for (const [scenario, seed] of [
      ['basic', 1],
      ['basic', 2],
      ['basic', 5],
      ['teardown', 1],
    ] as const) {
      const events = capture(scenario, seed);
      expect(validate(system({ scenario: 'host' }), events)).toMatchObject({
        valid: true,
        matched: events.length,
      });
    }
  });

  it('explains its own random runs', () => {
    const events = capture('host', 3, 120);
    expect(events.length).toBeGreaterThan(5);
    expect(validate(system({ scenario: 'host' }), events)).toMatchObject({ valid: true });
  });

  it('still rejects what no VMM can make happen: an AUG of a GFN the attributes say is shared', () => {
    const events: LoggedEvent[] = [
      { fn: 'tdh_mr_finalize', ret: '0x0000000000000000' },
      { fn: 'kvm_gmem_convert', args: { start: 1, end: 2, shared: 1 } },
      { fn: 'kvm_gmem_invalidate_begin', args: { start: 1, end: 2 } },
      { fn: 'kvm_gmem_invalidate_end', args: { start: 1, end: 2 } },
      { fn: 'tdh_mem_page_aug', args: { gpa: 0x1000, level: 0 }, ret: '0x0000000000000000' },
    ];
    expect(validate(system({ scenario: 'host' }), events)).toMatchObject({
      valid: false,
      index: 4,
    });
  });
});
