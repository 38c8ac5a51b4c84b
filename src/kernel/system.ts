/**
 * The whole system as one model for the engine: every process's steps, the initial state, the
 * properties and a readable view of a state.
 */
import type { Model, State } from '../engine/index.js';
import type { KernelConfig } from './config.js';
import { memoryFailureSteps } from './memory_failure.js';
import { mmSteps } from './mm.js';
import { invariants, liveness } from './properties.js';
import { Kernel } from './kernel.js';
import { guestSteps } from './td_guest.js';
import { kvmTdpMmuPageFault } from './tdp_mmu.js';
import { vmmSteps } from './vmm.js';
import { startOp } from './vmm_op.js';
import { describeState } from './view.js';
import { observedFunctions, sameResult } from './observe.js';
import { mapAddresses } from './addresses.js';
import { TD_OP_INITIALIZED, TD_OP_RUNNABLE } from './vars.js';

export function buildSystem(config: KernelConfig): Model {
  return systemModel(config).model;
}

/** The model together with the kernel it is built on (for drivers that read its variables). */
export function systemModel(config: KernelConfig): { model: Model; kernel: Kernel } {
  const k = new Kernel(config);
  const v = k.v;
  const { scenario, faults } = config;
  for (const g of scenario.guestGfns)
    if (g >= scenario.gfns)
      throw new Error(
        `scenario ${scenario.name}: guest GFN ${g} is outside its ${scenario.gfns} GFNs`,
      );
  if (scenario.gfns > 8) throw new Error(`scenario ${scenario.name}: at most 8 GFNs are supported`);

  const actions = [
    ...Array.from({ length: scenario.vcpus }, (_, c) => [
      ...guestSteps(k, c),
      ...kvmTdpMmuPageFault(k, c),
    ]).flat(),
    ...vmmSteps(k),
    ...mmSteps(k),
    ...memoryFailureSteps(k),
  ];

  const initial = (): State[] => {
    const s = new Uint8Array(v.size);
    s[v.tdOpState] = scenario.ops.some((op) => op.op === 'finalize')
      ? TD_OP_INITIALIZED
      : TD_OP_RUNNABLE;
    s[v.budgetRemoveFails] = faults['remove-fails'] ?? 0;
    s[v.budgetBlockFails] = faults['block-fails'] ?? 0;
    s[v.budgetBusy] = faults.busy ?? 0;
    s[v.budgetTransient] = faults['transient-refs'] ?? 0;
    s[v.budgetMemoryFailure] = faults['memory-failure'] ?? 0;
    s[v.budgetRetryFails] = faults['retry-fails'] ?? 0;
    s[v.budgetWbinvdFails] = faults['wbinvd-fails'] ?? 0;
    s[v.budgetAddFails] = faults['add-fails'] ?? 0;
    v.initial(s);
    s[v.budgetDemoteFails] = faults['demote-fails'] ?? 0;
    startOp(k, s);
    return [s];
  };

  const model: Model = {
    stateSize: v.size,
    initial,
    actions,
    invariants: invariants(k),
    liveness: liveness(k),
    isFinal: (s) => k.script.done(s),
    // A stuck state is a hang: the liveness properties say which operation never finishes.
    deadlock: false,
    observes: observedFunctions,
    sameResult,
    mapAddresses,
    view: (s) => describeState(k, s),
    // vCPUs are interchangeable: the same steps for each, and no variable names a vCPU.
    ...(scenario.vcpus > 1 ? { canonical: (s: State) => sortVcpus(k, s) } : {}),
  };
  return { model, kernel: k };
}

/** Each vCPU's variables, as one block per vCPU. */
function vcpuBlocks(k: Kernel, s: State): { fields: number[]; blocks: number[][] } {
  const v = k.v;
  const fields = [
    v.inGuest,
    v.entryAge,
    v.vcpuPc,
    v.faultGfn,
    v.faultStale,
    v.faultRef,
    v.need,
    v.vcpuStatus,
    ...(v.hugeRanges ? [v.faultLevel, v.acceptSplitPc, v.acceptSplitGfn] : []),
  ];
  return {
    fields,
    blocks: Array.from({ length: k.vcpus }, (_, c) => fields.map((f) => s[f + c]!)),
  };
}

const compareBlocks = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
};

/** Sorts the vCPUs' variables as whole blocks: the representative of the state up to renaming
 * vCPUs. */
function sortVcpus(k: Kernel, s: State): void {
  const { fields, blocks } = vcpuBlocks(k, s);
  blocks.sort(compareBlocks);
  blocks.forEach((block, c) => fields.forEach((f, i) => (s[f + c] = block[i]!)));
}

/** How many states a representative stands for: its vCPUs renamed every way, n! over the
 * factorials of how many vCPUs share each block (no variable names a vCPU, so renaming them is
 * permuting the blocks). Summed over the states of a `--symmetry` run, it is the number of
 * states of the run without it. */
export function vcpuOrbitSize(k: Kernel, s: State): number {
  const blocks = vcpuBlocks(k, s).blocks.sort(compareBlocks);
  let size = 1;
  for (let c = 1, same = 1; c < blocks.length; c++) {
    same = compareBlocks(blocks[c - 1]!, blocks[c]!) === 0 ? same + 1 : 1;
    size = (size * (c + 1)) / same;
  }
  return size;
}
