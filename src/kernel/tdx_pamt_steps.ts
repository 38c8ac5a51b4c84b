/**
 * The steps of Dynamic PAMT v4's tdx_pamt_get and tdx_pamt_put (arch/x86/virt/vmx/tdx/tdx.c) in
 * a vCPU's fault path, module 2.0 only; the refcount itself and why a get is one step and a put
 * two: tdx_pamt.ts.
 */
import type { Action, State } from '../engine/index.js';
import { frameOf } from './frames.js';
import type { Kernel } from './kernel.js';
import {
  FAULT_FINISH,
  FAULT_PAMT_ADD,
  FAULT_PAMT_GET,
  FAULT_PAMT_PUT,
  FAULT_SEAMCALL,
} from './programs.js';
import { statusText } from './seam.js';
import { gpa, kernelStep } from './step.js';

const TDX_HOST = 'arch/x86/virt/vmx/tdx/tdx.c';

/** The get and put of vCPU c's fault, each a step: the get before AUG at FAULT_PAMT_GET
 * (the SPTE frozen, read mmu_lock held), the locked part of the put after a failed AUG at
 * FAULT_PAMT_PUT (tdx.ts makes the decrement). */
export function tdxPamtFaultSteps(k: Kernel, c: number): Action[] {
  const pamt = k.pamt!;
  const v = k.v;
  const pc = v.vcpuPc + c;
  const frame = (s: State) => frameOf(v, s, s[v.faultGfn + c]!);
  const text = (what: string, st: number | undefined) =>
    st === undefined ? `${what}: refcount only` : `${what}: ${statusText(st)}`;
  const common = {
    process: `vcpu${c}`,
    file: TDX_HOST,
    fairness: 'weak' as const,
    holds: [k.locks.mmuLockRead],
    reads: [v.faultGfn + c, ...pamt.reads],
    writes: [pc, ...pamt.writes],
  };
  const steps = [
    kernelStep({
      ...common,
      fn: 'tdx_pamt_get',
      at: [pc, FAULT_PAMT_GET],
      next(s, out) {
        const t = out.next();
        const r = v.pamtBlockOf(frame(s));
        // pamt-unlocked: the count read, PAMT.ADD made later without pamt_lock
        if (k.mutated('pamt-unlocked') && t[v.pamtRef + r] === 0) {
          t[pc] = FAULT_PAMT_ADD;
          return;
        }
        pamt.get(t, r);
        t[pc] = FAULT_SEAMCALL;
      },
      call: (b, a) => {
        if (a[pc] === FAULT_PAMT_ADD) return 'tdx_pamt_get: refcount 0, no pamt_lock (mutation)';
        const r = v.pamtBlockOf(frame(b));
        const counted = b[v.pamtRef + r]! > 0;
        return text(
          `tdx_pamt_get(pfn ${frame(b)})${counted ? '' : ' -> TDH.PHYMEM.PAMT.ADD'}`,
          counted ? undefined : k.seam.pamtAdd(b.slice(), r),
        );
      },
    }),
    kernelStep({
      ...common,
      fn: 'tdx_pamt_put',
      at: [pc, FAULT_PAMT_PUT],
      next(s, out) {
        const t = out.next();
        pamt.putLocked(t, v.pamtBlockOf(frame(s)));
        t[pc] = FAULT_FINISH;
      },
      call: (b) => {
        const st = pamt.putLocked(b.slice(), v.pamtBlockOf(frame(b)));
        return text(
          `tdx_pamt_put(pfn ${frame(b)}) under pamt_lock${st === undefined ? ', a get raced' : ' -> TDH.PHYMEM.PAMT.REMOVE'}`,
          st,
        );
      },
    }),
  ];
  if (k.mutated('pamt-unlocked'))
    steps.push(
      kernelStep({
        ...common,
        fn: 'tdx_pamt_get',
        at: [pc, FAULT_PAMT_ADD],
        next(s, out) {
          const t = out.next();
          pamt.add(t, v.pamtBlockOf(frame(s)));
          t[pc] = FAULT_SEAMCALL;
        },
        call: (b, a) =>
          `TDH.PHYMEM.PAMT.ADD pa=${gpa(frame(b))} level=2M without pamt_lock -> ${statusText(k.seam.pamtAdd(b.slice(), v.pamtBlockOf(frame(b))))}, refcount ${a[v.pamtRef + v.pamtBlockOf(frame(b))]}`,
      }),
    );
  return steps;
}
