/**
 * The TD guest on a vCPU: it enters through TDH.VP.ENTER, accepts its private pages
 * (TDG.MEM.PAGE.ACCEPT), writes them, and exits to KVM on an EPT violation, which KVM serves
 * with a fault (tdp_mmu.ts). Its MapGPA requests are folded into the VMM's conversions: a GFN
 * the VMM is converting or punching is one the guest gave up (simplification).
 *
 * Facts (tdx-module.md sections 4 and 5): with SEPT_VE_DISABLE, which KVM requires, an access
 * to a FREE or BLOCKED entry is a TD exit with an EPT violation; ACCEPT of a FREE entry exits
 * with EEQ type ACCEPT; ACCEPT zeroes the page and makes it MAPPED; an access to a PENDING page
 * the guest believes it accepted is the "unexpected pending" EPT violation (data lost).
 */
import type { Action, State, Successors } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { FAULT_ACCEPT_LEVEL, FAULT_PFN, VCPU_IDLE } from './programs.js';
import { S, SEPT_FREE, SEPT_MAPPED, SEPT_PENDING, statusText } from './seam.js';
import { kvmBugOn, tdMayEnter, tdMayEnterReads } from './tdx.js';
import { gpa, kernelStep } from './step.js';
import { ATTR_PRIVATE, CONTENT_GUEST } from './vars.js';
import type { AcceptLevel } from './config.js';

/** tdx_vcpu_run: TDH.VP.ENTER, unless the TD cannot run or KVM keeps its vCPUs out. */
function tdxVcpuRun(k: Kernel, c: number): Action {
  const v = k.v;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'tdx_vcpu_run',
    file: 'arch/x86/kvm/vmx/tdx.c',
    fairness: 'weak',
    at: [v.vcpuPc + c, VCPU_IDLE],
    requires: [[v.inGuest + c, 0]],
    reads: tdMayEnterReads(k),
    writes: [v.inGuest + c, v.entryAge + c],
    next(s, out) {
      // Tested here rather than as guards: they hold in nearly every state, so as guards they
      // would cost every state a table read and rule out almost nothing.
      if (!tdMayEnter(k, s)) return;
      const t = out.next();
      t[v.inGuest + c] = 1;
      t[v.entryAge + c] = 0; // TDH.VP.ENTER counts the vCPU in the current epoch
    },
    call: () => 'TDH.VP.ENTER',
  });
}

/** An EPT violation: TD exit, and KVM's fault path starts for the GFN. */
function exitToFault(k: Kernel, c: number, t: State, g: number): void {
  t[k.v.inGuest + c] = 0;
  t[k.v.need + c] = g + 1;
  t[k.v.vcpuPc + c] = FAULT_PFN;
  t[k.v.faultGfn + c] = g;
}
const exitToFaultWrites = (k: Kernel, c: number) => [
  k.v.inGuest + c,
  k.v.need + c,
  k.v.vcpuPc + c,
  k.v.faultGfn + c,
];

/** A touch of GFN g by the guest on vCPU c: first (the guest's choice, no fairness) or
 * retried after a fault (it waits on g: weakly fair), of a page it has or has not accepted. */
interface Touch {
  readonly fn: string;
  readonly accepted: number;
  /** more [variable, value] the touch needs */
  readonly requires?: readonly (readonly [number, number])[];
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  next(s: State, out: Successors): void;
  call(b: State, a: State): string;
}

function guestTouch(k: Kernel, c: number, g: number, retry: boolean, touch: Touch): Action {
  const v = k.v;
  const stray = k.config.scenario.strayPrivateAccesses === true;
  return kernelStep({
    process: `vcpu${c}`,
    fn: `${touch.fn}${retry ? ' (retried after the fault)' : ''}`,
    file: 'guest',
    ...(retry ? { fairness: 'weak' as const } : {}),
    at: [v.inGuest + c, 1],
    // Free to touch g afresh (need 0), or waiting on g (need g + 1) and retrying. The
    // scenario's guest accepts a page before it writes it; a script's guest (stray accesses)
    // does whatever its program says.
    requires: [
      [v.need + c, retry ? g + 1 : 0],
      ...(stray ? [] : [[v.accepted + g, touch.accepted] as const]),
      ...(touch.requires ?? []),
    ],
    reads: [v.attr + g, ...k.frameVars(g, v.poison), v.vmmOp, v.vmmPc, v.vmmStatus, ...touch.reads],
    writes: touch.writes,
    next(s, out) {
      // A page the guest was told is poisoned (the VMM injects a machine check) it no longer
      // touches afresh; an access already under way is retried and fails.
      if (
        (s[v.attr + g] === ATTR_PRIVATE || stray) &&
        !k.script.holds(s, g) &&
        (retry || !s[v.poison + k.seam.mappedFrame(s, g)])
      )
        touch.next(s, out);
    },
    call: touch.call,
  });
}

/** TDG.MEM.PAGE.ACCEPT of GFN g: PENDING -> MAPPED (TDX_SUCCESS), MAPPED left as it is
 * (TDX_PAGE_ALREADY_ACCEPTED, a status the guest goes on from), or a TD exit (EEQ ACCEPT,
 * level 4K): with 2M leaves KVM then honors the accept level before the fault, unless the
 * range's GUEST_INHIBIT is already set (tdx_honor_guest_accept_level tests it without the lock;
 * tdx.ts). */
function tdgMemPageAccept(k: Kernel, c: number, g: number, retry: boolean): Action {
  const v = k.v;
  const r = acceptRange(k, g);
  const huge = k.seam.rangeOf(g);
  return guestTouch(k, c, g, retry, {
    fn: 'TDG.MEM.PAGE.ACCEPT',
    accepted: 0,
    // a page of a range a Linux guest accepts at 2M first: only once that failed
    ...(r >= 0 && acceptLevel(k) === 'linux'
      ? { requires: [[v.acceptFallback + r, 1]] as const }
      : {}),
    reads: [v.sept + g, ...k.ranges(v.sept2m, v.guestInhibit)],
    writes: [
      v.sept + g,
      ...k.frameVars(g, v.content, v.dirty, v.tdBit),
      v.accepted + g,
      ...exitToFaultWrites(k, c),
    ],
    next(_, out) {
      const t = out.next();
      const st = k.seam.guestAccept(t, g);
      if (st === S.SUCCESS || st === S.ALREADY_ACCEPTED || st === S.ALREADY_ACCEPTED_2M) {
        t[v.accepted + g] = 1;
        t[v.need + c] = 0;
      } else {
        exitToFault(k, c, t, g);
        if (huge >= 0 && !t[v.guestInhibit + huge]) t[v.vcpuPc + c] = FAULT_ACCEPT_LEVEL;
      }
    },
    call: (b, a) =>
      `gpa=${gpa(g)} -> ${a[v.inGuest + c] ? statusText(k.seam.guestAccept(b.slice(), g)) : 'TD exit: EPT violation (EEQ ACCEPT)'}`,
  });
}

/** The scenario's guest: the level it accepts huge ranges at (config.ts). */
const acceptLevel = (k: Kernel): AcceptLevel => k.config.scenario.acceptLevel ?? 'linux';

/** The range whose pages the guest may accept at 2M, or -1: a Linux guest's
 * tdx_accept_memory (arch/x86/coco/tdx/tdx-shared.c) tries the largest level that fits (here
 * 2M: the whole range is the guest's) before 4K "to give the VMM a chance to keep 2M S-EPT
 * entries" (huge-pages.md 5.3); the other guests accept such a range at their level. */
function acceptRange(k: Kernel, g: number): number {
  const r = k.seam.rangeOf(g);
  if (r < 0) return -1;
  const gfns = k.seam.rangeGfns(r);
  const guest = k.config.scenario.guestGfns;
  return gfns.length === k.config.scenario.hugeFolio && gfns.every((x) => guest.includes(x))
    ? r
    : -1;
}

/** The guest's TDG.MEM.PAGE.ACCEPT at 2M of range r (through its first GFN): success (or the
 * range already accepted) accepts every page; a TD exit (level 2M) waits for KVM's fault; any
 * other status (TDX_PAGE_SIZE_MISMATCH: KVM mapped 4K) makes try_accept_one fail at 2M, and the
 * guest accepts the pages at 4K instead. */
function tdgMemPageAccept2m(k: Kernel, c: number, r: number, retry: boolean): Action {
  const v = k.v;
  const gfns = k.seam.rangeGfns(r);
  const g = gfns[0]!;
  return guestTouch(k, c, g, retry, {
    fn: 'TDG.MEM.PAGE.ACCEPT level=2M',
    accepted: 0,
    requires: [[v.acceptFallback + r, 0]],
    reads: [v.sept2m + r, ...gfns.flatMap((x) => [v.attr + x, v.accepted + x])],
    writes: [
      v.sept2m + r,
      v.acceptFallback + r,
      ...gfns.flatMap((x) => [v.accepted + x, ...k.frameVars(x, v.content, v.dirty, v.tdBit)]),
      ...exitToFaultWrites(k, c),
    ],
    next(s, out) {
      // every page of the range is the guest's to accept: private, not given up (a GFN the
      // VMM converts or punches), not accepted yet (a script's guest does what its program says)
      const stray = k.config.scenario.strayPrivateAccesses === true;
      if (
        gfns.some(
          (x) =>
            k.script.holds(s, x) ||
            (!stray && (s[v.attr + x] !== ATTR_PRIVATE || s[v.accepted + x])),
        )
      )
        return;
      const t = out.next();
      const st = k.seam.guestAccept2m(t, r);
      if (st === S.SUCCESS || st === S.ALREADY_ACCEPTED_2M) {
        for (const x of gfns) t[v.accepted + x] = 1;
        t[v.need + c] = 0;
      } else if (st === S.STATE_INCORRECT) exitToFault(k, c, t, g);
      else {
        t[v.acceptFallback + r] = 1;
        t[v.need + c] = 0;
      }
    },
    call: (b, a) =>
      `gpa=${gpa(g)} level=2M -> ${a[v.inGuest + c] ? statusText(k.seam.guestAccept2m(b.slice(), r)) : 'TD exit: EPT violation (EEQ ACCEPT, level 2M)'}`,
  });
}

/** The guest writes GFN g: through the TD's HKID if the S-EPT maps it, else a TD exit. */
function guestWrite(k: Kernel, c: number, g: number, retry: boolean): Action {
  const v = k.v;
  return guestTouch(k, c, g, retry, {
    fn: 'guest write',
    accepted: 1,
    reads: [
      v.sept + g,
      v.guestData + g,
      ...k.frameVars(g, v.content, v.dirty),
      ...k.ranges(v.sept2m),
    ],
    writes: [
      ...k.frameVars(g, v.content, v.dirty),
      v.guestData + g,
      v.vcpuStatus + c,
      v.vmBugged,
      ...k.vcpuFields(v.inGuest),
      ...exitToFaultWrites(k, c),
    ],
    next(s, out) {
      const mapped = k.seam.leafOf(s, g) === SEPT_MAPPED;
      const f = k.seam.mappedFrame(s, g); // the guest reaches the frame through the S-EPT
      // Writing again what is already written changes nothing: skip the self-loop (a script's
      // guest takes it: its write is an instruction that completes).
      if (
        !k.config.scenario.strayPrivateAccesses &&
        mapped &&
        s[v.guestData + g] &&
        s[v.content + f] === CONTENT_GUEST &&
        s[v.dirty + f] &&
        !s[v.need + c]
      )
        return;
      const t = out.next();
      if (mapped) {
        t[v.content + f] = CONTENT_GUEST;
        t[v.guestData + g] = 1;
        t[v.dirty + f] = 1; // written through the TD's HKID
        t[v.need + c] = 0;
      } else if (k.seam.leafOf(s, g) === SEPT_PENDING) {
        // An access before ACCEPT: the "unexpected pending" EPT violation. KVM warns "Guest
        // access before accepting", kvm_vm_dead(), and KVM_RUN returns -EIO
        // (tdx_handle_ept_violation, tdx_is_sept_violation_unexpected_pending: v6.17 and
        // series-v3 arch/x86/kvm/vmx/tdx.c; the TD has SEPT_VE_DISABLE, the only way KVM runs
        // it). The model's vm_bugged stands for a dead VM too.
        t[v.inGuest + c] = 0;
        t[v.need + c] = 0;
        t[v.vcpuStatus + c] = S.EIO;
        kvmBugOn(k, t);
      } else exitToFault(k, c, t, g);
    },
    call: (b, a) =>
      `gpa=${gpa(g)} ${a[v.inGuest + c] ? 'written' : k.seam.leafOf(b, g) === SEPT_PENDING ? '-> TD exit: EPT violation on a PENDING page: kvm_vm_dead -> -EIO' : '-> TD exit: EPT violation'}`,
  });
}

/** A non-Linux guest's access to GFN g before it accepted it ([hp-v3] 13/24, flow "guest
 * accesses private memory without first accepting it"): a page with no S-EPT leaf is an EPT
 * violation that carries no accept level, so KVM maps it at the largest level it can (2M). The
 * access is then retried on a PENDING page; the guest's #VE handler accepts it at the guest's
 * level, which the model takes as the retried ACCEPT (our simplification: the #VE itself is not
 * modelled; the retried access of a mapped page is that ACCEPT). */
function guestAccessBeforeAccept(k: Kernel, c: number, g: number): Action {
  const v = k.v;
  return guestTouch(k, c, g, false, {
    fn: 'guest access before ACCEPT',
    accepted: 0,
    reads: [v.sept + g, ...k.ranges(v.sept2m)],
    writes: exitToFaultWrites(k, c),
    next(s, out) {
      if (k.seam.leafOf(s, g) === SEPT_FREE) exitToFault(k, c, out.next(), g);
    },
    call: () => `gpa=${gpa(g)} -> TD exit: EPT violation (no accept level)`,
  });
}

/** A TD exit with nothing to serve (HLT or an interrupt). */
function tdExit(k: Kernel, c: number): Action {
  const v = k.v;
  return kernelStep({
    process: `vcpu${c}`,
    fn: 'TD exit (HLT or interrupt)',
    file: 'guest',
    at: [v.inGuest + c, 1],
    requires: [[v.need + c, 0]],
    reads: [],
    writes: [v.inGuest + c],
    next(_, out) {
      out.next()[v.inGuest + c] = 0;
    },
  });
}

/** The guest's vCPU: entering, and every access it makes to its private GFNs. */
export function guestSteps(k: Kernel, c: number): Action[] {
  const { guestGfns, vcpuGfns } = k.config.scenario;
  const level = acceptLevel(k);
  // a 2M-only guest has no 4K ACCEPT of a page of its 2M ranges; a 4K-only one no 2M ACCEPT
  const accepts4k = (g: number) => level !== '2m' || acceptRange(k, g) < 0;
  const touches = (vcpuGfns?.[c] ?? guestGfns).flatMap((g) => [
    ...[false, true].flatMap((retry) => [
      ...(accepts4k(g) ? [tdgMemPageAccept(k, c, g, retry)] : []),
      guestWrite(k, c, g, retry),
    ]),
    // a guest that accepts at 4K, unlike Linux's, may touch a page first
    ...(level === '4k' || level === 'either' ? [guestAccessBeforeAccept(k, c, g)] : []),
  ]);
  const ranges = [...new Set(k.config.scenario.guestGfns.map((g) => acceptRange(k, g)))];
  const accepts2m = ranges
    .filter((r) => r >= 0 && level !== '4k')
    .flatMap((r) => [false, true].map((retry) => tdgMemPageAccept2m(k, c, r, retry)));
  return [tdxVcpuRun(k, c), ...touches, ...accepts2m, tdExit(k, c)];
}
