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
import { S, SEPT_MAPPED, statusText } from './seam.js';
import { gpa, kernelStep, type Condition } from './step.js';
import { FAULT_PFN, VCPU_IDLE } from './tdp_mmu.js';
import { ATTR_PRIVATE, CONTENT_GUEST, TD_KEYS_CONFIGURED, TD_OP_RUNNABLE } from './vars.js';

/** The guest's vCPU: entering, and every access it makes to its private GFNs. */
export function guestSteps(k: Kernel, c: number): Action[] {
  const v = k.v;
  const process = `vcpu${c}`;
  const stray = k.config.scenario.strayPrivateAccesses === true;
  const inGuest = [v.inGuest + c, 1] as const;
  /** The vCPU is in the guest and free to touch GFN g afresh (need 0), or it waits on g (need
   * g + 1) and retries. */
  const touching = (g: number, retry: boolean, accepted: number): Condition[] => [[v.need + c, retry ? g + 1 : 0], [v.accepted + g, accepted]];
  /** A page the guest was told is poisoned (the VMM injects a machine check) it no longer
   * touches afresh; an access already under way is retried and fails. */
  const canTouch = (s: State, g: number, retry: boolean) =>
    (s[v.attr + g] === ATTR_PRIVATE || stray) && !k.script.holds(s, g) && (retry || !s[v.poison + g]);
  /** An EPT violation: TD exit, and KVM's fault path starts for the GFN. */
  const exitToFault = (t: State, g: number) => {
    t[v.inGuest + c] = 0;
    t[v.need + c] = g + 1;
    t[v.vcpuPc + c] = FAULT_PFN;
    t[v.faultGfn + c] = g;
  };
  const steps: Action[] = [
    kernelStep({
      process,
      fn: 'tdx_vcpu_run',
      file: 'arch/x86/kvm/vmx/tdx.c',
      fairness: 'weak',
      at: [v.vcpuPc + c, VCPU_IDLE],
      requires: [[v.inGuest + c, 0]],
      next(s, out) {
        // Tested here rather than as guards: they hold in nearly every state, so as guards they
        // would cost every state a table read and rule out almost nothing.
        if (s[v.tdOpState] !== TD_OP_RUNNABLE || s[v.tdLifecycle] !== TD_KEYS_CONFIGURED) return;
        if (s[v.vmBugged] || s[v.waitForSeptZap] || s[v.vcpusStopped]) return;
        const t = out.next();
        t[v.inGuest + c] = 1;
        t[v.entryAge + c] = 0; // TDH.VP.ENTER counts the vCPU in the current epoch
      },
      call: () => 'TDH.VP.ENTER',
    }),
  ];
  for (const g of k.config.scenario.guestGfns) {
    // The first touch is the guest's choice (no fairness); once it waits on the GFN it retries.
    for (const retry of [false, true]) {
      /** A touch of GFN g by the guest, first or retried, of a page it has or has not accepted. */
      const touch = (fn: string, accepted: number, body: (s: State, out: Successors) => void, call: (b: State, a: State) => string) =>
        kernelStep({
          process,
          fn: `${fn}${retry ? ' (retried after the fault)' : ''}`,
          file: 'guest',
          ...(retry ? { fairness: 'weak' as const } : {}),
          at: inGuest,
          requires: touching(g, retry, accepted),
          next(s, out) {
            if (canTouch(s, g, retry)) body(s, out);
          },
          call,
        });
      steps.push(
        touch('TDG.MEM.PAGE.ACCEPT', 0, (_, out) => {
          const t = out.next();
          if (k.seam.guestAccept(t, g) === S.SUCCESS) {
            t[v.accepted + g] = 1;
            t[v.need + c] = 0;
          } else exitToFault(t, g);
        }, (_, a) => `gpa=${gpa(g)} -> ${a[v.inGuest + c] ? statusText(S.SUCCESS) : 'TD exit: EPT violation (EEQ ACCEPT)'}`),
        touch('guest write', 1, (s, out) => {
          const mapped = s[v.sept + g] === SEPT_MAPPED;
          // Writing again what is already written changes nothing: skip the self-loop.
          if (mapped && s[v.guestData + g] && s[v.content + g] === CONTENT_GUEST && s[v.dirty + g] && !s[v.need + c]) return;
          const t = out.next();
          if (mapped) {
            t[v.content + g] = CONTENT_GUEST;
            t[v.guestData + g] = 1;
            t[v.dirty + g] = 1; // written through the TD's HKID
            t[v.need + c] = 0;
          } else exitToFault(t, g);
        }, (_, a) => `gpa=${gpa(g)} ${a[v.inGuest + c] ? 'written' : '-> TD exit: EPT violation'}`),
      );
    }
  }
  steps.push(
    kernelStep({
      process,
      fn: 'TD exit (HLT or interrupt)',
      file: 'guest',
      at: inGuest,
      requires: [[v.need + c, 0]],
      next(_, out) {
        out.next()[v.inGuest + c] = 0;
      },
    }),
  );
  return steps;
}
