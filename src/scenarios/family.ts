import type { ParamSpec, Params } from '../engine/index.js';
import type { FaultBudget, FaultKind, Scenario } from '../kernel/config.js';

/** A scenario whose sizes the command line may set (`--param vcpus=N`, `--param pages=N`):
 * its parameters with their ranges, and the scenario of each size. `build` with the
 * defaults is the scenario the verdict table checks. */
export interface ScenarioFamily {
  readonly name: string;
  readonly doc: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  build(p: Params): Scenario;
}

/** At most 8 GFNs: the kernel model's ranges are bit masks of a byte (src/kernel/system.ts). */
export const MAX_PAGES = 8;
/** Each vCPU adds a block of variables and its own guest and fault steps; the state space grows
 * about fifteen-fold per vCPU, so 8 is already far beyond an exhaustive check. */
export const MAX_VCPUS = 8;

export function vcpusParam(defaultValue: number): ParamSpec {
  return { default: defaultValue, min: 1, max: MAX_VCPUS, doc: 'vCPUs, each running the guest' };
}

export function pagesParam(defaultValue: number, min = 1): ParamSpec {
  return { default: defaultValue, min, max: MAX_PAGES, doc: '4 KiB pages (GFNs) of guest memory' };
}

/** Free blocks of frames beyond the GFNs' own (src/kernel/frames.ts): with one, guest_memfd
 * allocates the lowest free block and a folio can land on frames other than its GFNs'. */
/** The HugeTLB folio's pages (`folio-pages`), each standing for 4 KiB of a real 2M folio's 512. */
export function folioPagesParam(): ParamSpec {
  return {
    default: 2,
    min: 2,
    max: 8,
    doc: 'subpages of the HugeTLB folio (each a GFN the guest uses, standing for 4 KiB of the 512 of a 2M page)',
  };
}

export function spareBlocksParam(): ParamSpec {
  return {
    default: 0,
    min: 0,
    max: 2,
    doc: 'spare blocks of frames (each as large as the HugeTLB folio) for guest_memfd to allocate from',
  };
}

export function demoteInterruptibleParam(): ParamSpec {
  return {
    default: 0,
    min: 0,
    max: 1,
    doc: "1: the TDX module lacks ENHANCED_DEMOTE_INTERRUPTIBILITY, so DEMOTE may be interrupted (TDX_INTERRUPTED_RESTARTABLE) and KVM retries it (the series' test-only loop)",
  };
}

/** The GFNs from..to-1. */
export function gfnRange(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** The family's scenario at its default sizes. */
export function defaultScenario(f: ScenarioFamily): Scenario {
  return f.build(
    Object.fromEntries(Object.entries(f.params).map(([k, spec]) => [k, spec.default])),
  );
}

/** `vcpus=1..8 (2) pages=1..8 (1)`: the ranges and defaults, for --help. */
export function paramRanges(f: ScenarioFamily): string {
  return Object.entries(f.params)
    .map(([k, s]) =>
      s.values
        ? `${k}=${s.values.join('|')} (${s.values[s.default]})`
        : `${k}=${s.min}..${s.max} (${s.default})`,
    )
    .join(' ');
}

/** Fault budgets as parameters (`--param busy=1`), each 0..3 and 0 by default: a scenario's
 * faults when the command line gives no `--faults` (which, given, replaces them all). */
export function faultParams(kinds: readonly FaultKind[]): Record<string, ParamSpec> {
  return Object.fromEntries(
    kinds.map((kind) => [
      kind,
      { default: 0, min: 0, max: 3, doc: `${kind} budget (as --faults ${kind}=n)` },
    ]),
  );
}

/** The faults a scenario of a 2M-mapped folio takes as parameters (huge-map, huge-convert). */
export const hugeFaultKinds = [
  'transient-refs',
  'busy',
  'demote-fails',
  'remove-fails',
  'block-fails',
  'wbinvd-fails',
] as const satisfies readonly FaultKind[];

/** The fault budget those parameters set. */
export function faultsOf(p: Params, kinds: readonly FaultKind[]): FaultBudget {
  return Object.fromEntries(kinds.filter((kind) => p[kind]).map((kind) => [kind, p[kind]!]));
}
