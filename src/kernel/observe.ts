/**
 * What a tracer on a real host sees of the model's steps: the events tools/septcheck-trace.bt
 * records (the SEAMCALL wrappers of arch/x86/virt/vmx/tdx/tdx.c with their 64-bit status, and a
 * few KVM and guest_memfd functions with their return value), so a captured log can be matched
 * against the model (`septcheck validate`).
 */
import type { Observation, State } from '../engine/index.js';
import type { Kernel } from './kernel.js';
import { seamcallWrappers, statusValue } from './seam.js';

/** A SEAMCALL wrapper's return: its arguments and status; KVM_BUG_ON after it if it fired. */
export function seamcallSeen(
  k: Kernel,
  fn: string,
  args: Record<string, number>,
  status: number,
  b: State,
  a: State,
): Observation[] {
  return [{ fn, args, ret: statusValue(status) }, ...bugSeen(k, b, a)];
}

/** KVM_BUG_ON: kvm_vm_bugged() marking the VM dead. */
export function bugSeen(k: Kernel, b: State, a: State): Observation[] {
  return a[k.v.vmBugged]! > b[k.v.vmBugged]! ? [{ fn: 'kvm_vm_bugged' }] : [];
}

/** Two results are the same: SEAMCALL statuses by bits 63:32 as KVM compares them (the low
 * bits carry the operand id: tdx_errno.h), anything else exactly (Model.sameResult). */
export function sameResult(a: number | string, b: number | string): boolean {
  if (
    typeof a === 'string' &&
    typeof b === 'string' &&
    /^0x[0-9a-f]{16}$/i.test(a) &&
    /^0x[0-9a-f]{16}$/i.test(b)
  ) {
    return a.slice(0, 10).toLowerCase() === b.slice(0, 10).toLowerCase();
  }
  return String(a) === String(b);
}

export const gpaOf = (gfn: number) => gfn * 0x1000;

/** Every function the model's steps show (tools/septcheck-trace.bt records these and more):
 * the SEAMCALL wrappers (seam.ts), and KVM's and guest_memfd's. */
export const observedFunctions = [
  ...seamcallWrappers,
  'kvm_vm_bugged',
  'kvm_gmem_get_pfn',
  'kvm_gmem_invalidate_begin',
  'kvm_gmem_invalidate_end',
  'kvm_gmem_punch_hole',
  'kvm_gmem_convert',
  'kvm_gmem_error_folio',
  'kvm_gmem_release',
] as const;
