import type { TreeName } from '../kernel/trees.js';

/**
 * The questions a reviewer asks of a page-reference design, each answered by a set of runs
 * (scenario x fault budget x HVO) judged on a few properties only. The other properties are
 * left out of those runs, so each column answers its own question.
 */
export interface Run {
  readonly scenario: string;
  readonly faults: string;
  readonly hvo: boolean;
  /** no page_ext client enabled at boot (`--without-page-ext`) */
  readonly withoutPageExt?: boolean;
  /** the kernel tree (`--tree`), when not the one resolveTree picks */
  readonly tree?: TreeName;
  /** the scenario's parameters (`--param k=v`: a size, or a value by name), when not its
   * defaults */
  readonly params?: Readonly<Record<string, number | string>>;
  /** the TDX module (`--module`), when not the one the scenario resolves to */
  readonly module?: '2.0';
}

export interface Question {
  readonly id: string;
  /** the column heading */
  readonly title: string;
  /** what a pass means */
  readonly doc: string;
  readonly runs: readonly Run[];
  /** safety invariants judged (a violation is a fail) */
  readonly invariants: readonly string[];
  /** findings judged (a finding is a leak; with `leakIsFail`, a fail) */
  readonly findings: readonly string[];
  readonly leakIsFail?: boolean;
  /** liveness properties judged, by name prefix (a violation is a fail) */
  readonly liveness: readonly string[];
  /** compare with the same runs changed by `baseline` (HVO off, say): only what the question's
   * own setting makes worse counts */
  readonly baseline?: Partial<Run>;
}

const safety = [
  'no-reuse-while-mapped',
  'flush-and-clear-before-reuse',
  'no-private-and-shared-at-once',
  'refcount-sane',
  'guest-data-kept',
];
const scenarios = ['basic', 'convert', 'contention', 'teardown'];
const runs = (names: readonly string[], faults: readonly string[], hvo = false): Run[] =>
  names.flatMap((scenario) => faults.map((f) => ({ scenario, faults: f, hvo })));
const zapFailures = ['remove-fails=1', 'block-fails=1'];
/** `huge-convert` (tree hugepage-v3, the only one with 2M leaves) with each fault budget, at
 * folio-pages 2 (its default) and 4, on module 1.5 unless `module` says 2.0. */
const hugeConvertRuns = (faults: readonly string[], module?: '2.0'): Run[] =>
  [2, 4].flatMap((pages) =>
    faults.map((f) => ({
      scenario: 'huge-convert',
      faults: f,
      hvo: false,
      ...(pages === 2 ? {} : { params: { 'folio-pages': pages } }),
      ...(module ? { module } : {}),
    })),
  );

/** `huge-map` with a guest that accepts at 4K (the split of tdx_honor_guest_accept_level), with
 * each fault budget, at folio-pages 2 and 4. */
const hugeMapAccept4kRuns = (faults: readonly string[]): Run[] =>
  hugeConvertRuns(faults).map((r) => ({
    ...r,
    scenario: 'huge-map',
    params: { ...r.params, accept: '4k' },
  }));

export const questions: readonly Question[] = [
  {
    id: 'normal-path-safe',
    title: 'normal path safe',
    doc: 'No safety property breaks without a KVM/TDX bug: with no faults, transient references, or TDX_OPERAND_BUSY.',
    runs: runs(scenarios, ['', 'transient-refs=2', 'busy=1']),
    invariants: safety,
    findings: [],
    liveness: [],
  },
  {
    id: 'huge-conversion-completes',
    title: 'partial huge-folio conversion completes',
    doc: 'Converting one subpage of a HugeTLB folio to shared and back finishes, the split included, even with transient references.',
    runs: runs(['convert'], ['', 'transient-refs=2']),
    invariants: [],
    findings: [],
    liveness: ['conversion-completes', 'split-completes'],
  },
  {
    id: 'failed-zap-safe',
    title: 'failed zap never reuses a mapped frame',
    doc: 'When BLOCK or REMOVE fails (a KVM or TDX module bug), no frame the S-EPT maps is reused and no dirty TD cache line reaches a new owner; a deliberate leak is a leak.',
    runs: runs(scenarios, zapFailures),
    invariants: ['no-reuse-while-mapped', 'flush-and-clear-before-reuse'],
    findings: ['teardown-reclaims'],
    liveness: [],
  },
  {
    id: 'no-leak-without-fault',
    title: 'no leak without a fault',
    doc: 'Without any fault, teardown gives every frame back.',
    runs: runs(scenarios, ['']),
    invariants: [],
    findings: ['teardown-reclaims'],
    leakIsFail: true,
    liveness: [],
  },
  {
    id: 'works-with-hvo',
    title: 'works with HVO',
    doc: 'With HugeTLB Vmemmap Optimization on, a failed zap in the huge folio is handled as well as without it.',
    runs: runs(['convert'], zapFailures, true),
    invariants: ['no-reuse-while-mapped', 'flush-and-clear-before-reuse'],
    findings: ['teardown-reclaims'],
    liveness: [],
    baseline: { hvo: false },
  },
  {
    id: 'teardown-completes',
    title: 'teardown completes',
    doc: 'VM teardown finishes, with or without a failed zap, a failed WBINVD or a memory failure.',
    runs: runs(['teardown', 'basic'], ['', 'remove-fails=1', 'memory-failure=1', 'wbinvd-fails=1']),
    invariants: [],
    findings: [],
    liveness: ['teardown-completes', 'vmm-completes'],
  },
  {
    id: 'failed-wbinvd-safe',
    title: 'a failed WBINVD never lets a frame be reused',
    doc: "When TDH.PHYMEM.PAGE.WBINVD fails after a successful REMOVE (a KVM or TDX module bug: the page is neither written back nor cleared), no frame with the TD's dirty cache lines, or still the TD's, goes to a new owner; a deliberate leak is a leak.",
    runs: runs(scenarios, ['wbinvd-fails=1']),
    invariants: ['no-reuse-while-mapped', 'flush-and-clear-before-reuse'],
    findings: ['teardown-reclaims'],
    liveness: [],
  },
  {
    id: 'works-without-page-ext',
    title: 'works without a page_ext client',
    doc: 'With no page_ext client enabled at boot (mm/page_ext.c allocates no table), a failed zap is handled as well as with one: only what the missing page_ext makes worse counts.',
    runs: runs(scenarios, zapFailures).map((r) => ({ ...r, withoutPageExt: true })),
    invariants: ['no-reuse-while-mapped', 'flush-and-clear-before-reuse'],
    findings: ['teardown-reclaims'],
    liveness: [],
    baseline: { withoutPageExt: false },
  },
];

/**
 * The huge-page questions (`claims --huge`, issue 17), on tree hugepage-v3.
 * - A failed DEMOTE leaves the mirror a 4K table over the S-EPT's blocked 2M leaf (huge-pages.md
 *   K2, K3), so every later 4K zap of the range fails with TDX_EPT_WALK_FAILED. The split comes
 *   from a partial conversion (`huge-convert`, one folio of 2 and of 4 pages). Judged on safety and
 *   the leak finding only: a design that keeps the frame may instead hang the conversion's folio
 *   split (its conversion-completes, the partial-conversion column's question).
 * - Dynamic PAMT runs model the TDX module 2.0 as well.
 */
export const hugeQuestions: readonly Question[] = [
  {
    id: 'huge-partial-unmap-completes',
    title: 'a partial unmap of a 2M mapping completes',
    doc: "Converting one page of a 2M-mapped HugeTLB folio to shared and back finishes: the 2M leaf is split (BLOCK, TRACK, DEMOTE), the page zapped, the folio split and merged again, with transient references or a BUSY SEAMCALL; a guest's 4K ACCEPT of a 2M-mapped page splits the leaf and succeeds; no 2M leaf outlives its folio.",
    runs: [
      ...hugeConvertRuns(['', 'transient-refs=1', 'busy=1']),
      ...hugeMapAccept4kRuns(['', 'busy=1']),
    ],
    invariants: ['mapping-within-folio'],
    findings: [],
    liveness: ['conversion-completes', 'split-completes', 'accept-completes'],
  },
  {
    id: 'failed-demote-safe',
    title: 'a failed DEMOTE never frees a mapped frame',
    doc: "When TDH.MEM.PAGE.DEMOTE fails while a partial conversion or a guest's 4K ACCEPT splits a 2M mapping (a KVM or TDX module bug), no frame the S-EPT still maps or the module still assigns goes to a new owner, and none with dirty TD cache lines; a deliberate leak (frames, the TDR, the orphan S-EPT table page) is a leak.",
    runs: [...hugeConvertRuns(['demote-fails=1']), ...hugeMapAccept4kRuns(['demote-fails=1'])],
    invariants: [
      'no-reuse-while-mapped',
      'flush-and-clear-before-reuse',
      'no-private-and-shared-at-once',
    ],
    findings: ['teardown-reclaims'],
    liveness: [],
  },
  {
    id: 'dpamt-safe',
    title: 'Dynamic PAMT never frees a PAMT page in use',
    doc: "With Dynamic PAMT (TDX module 2.0, the kernel refcounting each 2M range's PAMT page pair: Dynamic PAMT v4), no pair page goes back to the allocator while the module uses it, and no VM is killed without an injected bug; a pair (or frame, or TDR) kept for good is a leak.",
    // and the huge conversion under module 2.0: DEMOTE gives the 2M range a pair ([hp-v3] 22)
    runs: [
      ...runs(['dpamt'], ['', 'busy=1', 'remove-fails=1']),
      ...hugeConvertRuns(['', 'remove-fails=1'], '2.0'),
    ],
    invariants: ['pamt-page-in-use', 'no-bug-without-fault'],
    findings: ['teardown-reclaims'],
    liveness: [],
  },
];

/** Every question, the table's and `--huge`'s. */
export const allQuestions: readonly Question[] = [...questions, ...hugeQuestions];
