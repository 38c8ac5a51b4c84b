/**
 * A default-VM script as a model `septcheck validate` can check a captured log against: one
 * process taking the script's steps in order, each showing what tools/septcheck-kvm-trace.bt logs
 * of it on the real kernel (the KVM ioctls and fallocate(2) with their results as the model
 * answers them, and KVM_RUN's exit to userspace). Steps the capture does not log are silent.
 */
import { constants } from 'node:os';
import type { Model, Observation } from '../engine/index.js';
import { runScript, type Outcome } from './run.js';
import type { Script, Step } from './schema.js';
import { FALLOC_FL, flagBits } from './run.js';

/** kvm.h KVM_EXIT_* numbers of the exits a script's guest ends with (kvm_userspace_exit's reason). */
const exitReason: Record<string, number> = {
  KVM_EXIT_IO: 2,
  KVM_EXIT_HLT: 5,
  KVM_EXIT_MMIO: 6,
  KVM_EXIT_MEMORY_FAULT: 39,
};

export const observedFns = [
  'KVM_CHECK_EXTENSION',
  'KVM_CREATE_GUEST_MEMFD',
  'KVM_SET_USER_MEMORY_REGION2',
  'KVM_RUN',
  'kvm_userspace_exit',
  'fallocate',
] as const;

/** A syscall's return as the tracepoint shows it: -errno on failure. */
const ret = (o: Outcome): number =>
  o.errno ? -(constants.errno as Record<string, number>)[o.errno]! : (o.ret ?? 0);

function observations(step: Step, o: Outcome, file: string, i: number): Observation[] {
  switch (step.do) {
    case 'check_extension':
      return [{ fn: 'KVM_CHECK_EXTENSION', ret: ret(o) }];
    case 'create_guest_memfd':
      return [{ fn: 'KVM_CREATE_GUEST_MEMFD', ret: o.errno ? ret(o) : 0 }]; // the descriptor is the kernel's pick: logged as 0
    case 'set_memory_region':
      return [
        { fn: 'KVM_SET_USER_MEMORY_REGION2', args: { slot: Number(step.slot) }, ret: ret(o) },
      ];
    case 'fallocate':
      return [
        {
          fn: 'fallocate',
          args: {
            mode: flagBits(step.mode, FALLOC_FL, file, `steps[${i}].mode`),
            offset: Number(step.offset),
            len: Number(step.len),
          },
          ret: ret(o),
        },
      ];
    case 'run_guest': {
      const errno = o.errno ? ret(o) : 0;
      return [
        { fn: 'kvm_userspace_exit', args: { reason: exitReason[o.exit ?? ''] ?? -1, errno } },
        { fn: 'KVM_RUN', ret: errno },
      ];
    }
    default:
      return [];
  }
}

/** The model of a script's run for trace validation. */
export function scriptEventModel(script: Script, file: string): Model {
  const report = runScript(script, file);
  const seen = script.steps.map((step, i) => observations(step, report.steps[i]!.answer, file, i));
  return {
    stateSize: 1,
    initial: () => [new Uint8Array(1)],
    actions: script.steps.map((step, i) => ({
      name: step.do,
      process: 'vmm',
      guard: [[0, i]] as const,
      next: (_s, out) => {
        out.next()[0] = i + 1;
      },
      observe: () => seen[i]!,
    })),
    isFinal: (s) => s[0] === script.steps.length,
    observes: observedFns,
    view: (s) => ({ 'next step': s[0] }),
  };
}
