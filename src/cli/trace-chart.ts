/**
 * A trace as a message sequence chart: one lane per process and one each for KVM's MMU,
 * guest_memfd/mm and the TDX module; each step an arrow from its process to the part it calls
 * (a SEAMCALL into the module, with its status); lock holds as bars on the holder's lane; for
 * each frame its owner, refcount, S-EPT and PAMT state at every step. Read from the trace's
 * text alone (process, `where`, `call`, the viewed state), so the browser's chart and the
 * Mermaid output draw the same thing. No Node imports: the page's bundle includes this file.
 */

/** The parts of a trace the chart reads (a TraceDoc, or a trace file as the page gets it). */
export interface ChartTrace {
  readonly kind: string;
  readonly property: string;
  readonly loopStart?: number;
  readonly steps: readonly {
    readonly action: string | null;
    readonly process: string | null;
    readonly where?: string;
    readonly call?: string;
    readonly state: Readonly<Record<string, unknown>>;
  }[];
}

export const KVM_MMU = 'KVM MMU';
export const GMEM_MM = 'guest_memfd / mm';
export const TDX_MODULE = 'TDX module';
const kernelLanes = [KVM_MMU, GMEM_MM, TDX_MODULE];

export interface Lane {
  readonly name: string;
  readonly kind: 'process' | 'kernel';
}

/** One step as an arrow: `to` is the lane called, or the process itself for a local step. */
export interface Arrow {
  readonly step: number;
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** the SEAMCALLs or TDCALLs the step makes (TDH.MEM.PAGE.REMOVE, TDG.MEM.PAGE.ACCEPT) */
  readonly leaves: string[];
  /** what they returned, without its 64-bit value (TDX_SUCCESS, TDX_OPERAND_BUSY, TD exit: ...) */
  readonly status?: string;
  /** false when the status is an error */
  readonly ok: boolean;
}

/** A lock held by one process from the step that took it to the step that dropped it. */
export interface LockHold {
  readonly lock: string;
  readonly holder: string;
  readonly mode: 'write' | 'read';
  readonly from: number;
  /** the step that dropped it, or the last step */
  readonly to: number;
  /** still held when the trace ends */
  readonly held: boolean;
}

/** A frame's four facts at every step of the trace. */
export interface FrameStrip {
  readonly frame: number;
  readonly owner: string[];
  readonly refcount: string[];
  readonly sept: string[];
  readonly pamt: string[];
}

export interface Chart {
  readonly lanes: Lane[];
  readonly arrows: Arrow[];
  readonly locks: LockHold[];
  readonly frames: FrameStrip[];
  /** the step whose state breaks the property (a safety violation, a deadlock or a finding) */
  readonly broken?: number;
  /** a lasso: the steps after `from` repeat forever, back to the state after `from` */
  readonly loop?: { readonly from: number; readonly to: number };
}

/** The locks a state names, as the kernel model's view writes them: `free`, `write`, `read xN`. */
export const lockFacts: Readonly<Record<string, string>> = {
  'kvm mmu_lock': 'mmu_lock',
  'gmem invalidate_lock': 'filemap_invalidate_lock',
};

const leafPattern = /\bTD[HG](?:\.[A-Z0-9]+)+/g;

/** Where a step's arrow goes: the module for a SEAMCALL, else the part its source file is in. */
function calledLane(where: string | undefined, leaves: string[]): string | undefined {
  if (leaves.length > 0) return TDX_MODULE;
  if (!where) return undefined;
  if (where === 'virt/kvm/guest_memfd.c' || where.startsWith('mm/')) return GMEM_MM;
  if (where.startsWith('arch/x86/kvm/') || where === 'virt/kvm/kvm_main.c') return KVM_MMU;
  return undefined;
}

/** The SEAMCALLs a step's call text names and the status they returned. */
export function parseCall(
  action: string,
  call: string | undefined,
): { leaves: string[]; status?: string } {
  // "no TDH.MEM.TRACK" names a SEAMCALL the step did not make.
  const text = (call ?? '').replace(/\bno TD[HG](?:\.[A-Z0-9]+)+/g, '');
  const leaves = [
    ...new Set([...(action.match(leafPattern) ?? []), ...(text.match(leafPattern) ?? [])]),
  ];
  if (leaves.length === 0) return { leaves };
  // The status follows the arrow in the segment that names a leaf (or the first, for a TDCALL
  // the action names), up to its value in parentheses or the next clause.
  const segments = text.split(';');
  const segment = segments.find((s) => /\bTD[HG]\./.test(s)) ?? segments[0]!;
  const m = /->\s*([^;(]+)/.exec(segment);
  return m ? { leaves, status: m[1]!.trim() } : { leaves };
}

/** A status that is an error: a TDX status other than success, a failure, an errno (a TD exit is not). */
const isError = (status: string | undefined) =>
  status !== undefined && /^(TDX_(?!SUCCESS)|failed|-E)/.test(status);

function lockCount(value: unknown): number {
  const text = String(value ?? 'free');
  if (text === 'free') return 0;
  if (text === 'write') return -1;
  const m = /^read x(\d+)$/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Who holds each lock, read from how each step changed it: the step's process took or dropped it. */
function lockHolds(t: ChartTrace): LockHold[] {
  const done: LockHold[] = [];
  const last = t.steps.length - 1;
  for (const [fact, lock] of Object.entries(lockFacts)) {
    if (!(fact in t.steps[0]!.state)) continue;
    const open: { holder: string; mode: 'write' | 'read'; from: number }[] = [];
    let before = lockCount(t.steps[0]!.state[fact]);
    // Held in the initial state: by nobody the trace names.
    if (before !== 0) open.push({ holder: '?', mode: before < 0 ? 'write' : 'read', from: 0 });
    for (let i = 1; i <= last; i++) {
      const after = lockCount(t.steps[i]!.state[fact]);
      const p = t.steps[i]!.process ?? '?';
      const release = (holder: string) => {
        const at = Math.max(
          0,
          open.findIndex((o) => o.holder === holder),
        );
        const o = open.splice(at, 1)[0];
        if (o) done.push({ lock, ...o, to: i, held: false });
      };
      if (after === before) continue;
      if (before < 0) release(p);
      else for (let n = after < 0 ? 0 : after; n < before; n++) release(p);
      if (after < 0) open.push({ holder: p, mode: 'write', from: i });
      else
        for (let n = before < 0 ? 0 : before; n < after; n++)
          open.push({ holder: p, mode: 'read', from: i });
      before = after;
    }
    for (const o of open) done.push({ lock, ...o, to: last, held: true });
  }
  return done.sort((a, b) => a.from - b.from);
}

function frameStrips(t: ChartTrace): FrameStrip[] {
  const frames = Object.keys(t.steps[0]!.state)
    .map((k) => /^frame (\d+) owner$/.exec(k))
    .flatMap((m) => (m ? [Number(m[1])] : []));
  const column = (key: string) =>
    t.steps.map((s) => (s.state[key] === undefined ? '-' : String(s.state[key])));
  return frames.map((f) => ({
    frame: f,
    owner: column(`frame ${f} owner`),
    // "2 (page_cache 1, tdx_pin 1)": the count, its holders in the tooltip
    refcount: column(`frame ${f} refcount`),
    sept: column(`gfn ${f} S-EPT`),
    pamt: column(`frame ${f} PAMT`),
  }));
}

/** The lanes: the processes (vCPUs first, then in order of appearance), then the kernel's parts
 * the trace calls (none for a model that is not the kernel's). */
function lanes(t: ChartTrace, arrows: Arrow[]): Lane[] {
  const seen = [...new Set(t.steps.flatMap((s) => (s.process ? [s.process] : [])))];
  const vcpus = seen
    .filter((p) => /^vcpu\d+$/.test(p))
    .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const processes = [...vcpus, ...seen.filter((p) => !vcpus.includes(p))];
  const called = kernelLanes.filter((k) => arrows.some((a) => a.to === k));
  return [
    ...processes.map((name) => ({ name, kind: 'process' as const })),
    ...called.map((name) => ({ name, kind: 'kernel' as const })),
  ];
}

export function traceChart(t: ChartTrace): Chart {
  const arrows: Arrow[] = [];
  t.steps.forEach((s, i) => {
    if (i === 0) return;
    const action = s.action ?? '';
    const from = s.process ?? 'system';
    const { leaves, status } = parseCall(action, s.call);
    arrows.push({
      step: i,
      from,
      to: calledLane(s.where, leaves) ?? from,
      label: action,
      leaves,
      ...(status !== undefined ? { status } : {}),
      ok: !isError(status),
    });
  });
  const last = t.steps.length - 1;
  const lasso = t.loopStart !== undefined;
  return {
    lanes: lanes(t, arrows),
    arrows,
    locks: lockHolds(t),
    frames: frameStrips(t),
    ...(lasso || t.kind === 'path' ? {} : { broken: last }),
    ...(lasso ? { loop: { from: t.loopStart!, to: last } } : {}),
  };
}
