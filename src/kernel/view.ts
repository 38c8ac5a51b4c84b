/** A state as a reviewer reads it: the TD, KVM, each GFN and frame, each vCPU, the VMM. */
import type { State } from '../engine/index.js';
import { faultKinds } from './config.js';
import { INV_BEGIN, INV_END, INV_LOCK, INV_MMU_UNLOCK, INV_WORK, ZAP_BLOCK, ZAP_BLOCK_RETRY, ZAP_KICK, ZAP_REMOVE, ZAP_REMOVE_RETRY, ZAP_TRACK, ZAP_WBINVD } from './invalidation.js';
import type { Kernel } from './kernel.js';
import { septStateNames, isBlocked, statusText } from './seam.js';
import { faultPcNames } from './tdp_mmu.js';
import { currentOp, VMM_RECLAIM, VMM_RELEASE_HKID, VMM_STOP_VCPUS, VMM_WAIT_VCPUS } from './vmm.js';
import { LOCK_EXCLUSIVE, MMU_WRITER } from './vars.js';

const pcNames: Record<number, string> = {
  [INV_LOCK]: 'filemap_invalidate_lock',
  [INV_BEGIN]: 'kvm_gmem_invalidate_begin',
  [ZAP_BLOCK]: 'BLOCK',
  [ZAP_BLOCK_RETRY]: 'BLOCK retry',
  [ZAP_TRACK]: 'TRACK',
  [ZAP_KICK]: 'kick vCPUs',
  [ZAP_REMOVE]: 'REMOVE',
  [ZAP_REMOVE_RETRY]: 'REMOVE retry',
  [ZAP_WBINVD]: 'WBINVD',
  [INV_MMU_UNLOCK]: 'KVM_MMU_UNLOCK',
  [INV_WORK]: 'work',
  [INV_END]: 'kvm_gmem_invalidate_end',
  [VMM_STOP_VCPUS]: 'stop vCPUs',
  [VMM_WAIT_VCPUS]: 'wait for vCPUs',
  [VMM_RELEASE_HKID]: 'tdx_mmu_release_hkid',
  [VMM_RECLAIM]: 'reclaim TDR',
};
const lockText = (n: number, writer: number) => (n === 0 ? 'free' : n === writer ? 'write' : `read x${n}`);
const ageText = (age: number) => (age >= 2 ? '2+ TRACKs ago' : `${age} TRACK${age === 1 ? '' : 's'} ago`);

export function describeState(k: Kernel, s: State): Record<string, string> {
  const v = k.v;
  const out: Record<string, string> = {};
  out.td = `${['INITIALIZED', 'RUNNABLE'][s[v.tdOpState]!]}, ${['KEYS_CONFIGURED', 'BLOCKED', 'TEARDOWN'][s[v.tdLifecycle]!]}, TDR ${['live', 'reclaimed', 'leaked'][s[v.tdr]!]}`;
  out.kvm = [
    `mmu_lock ${lockText(s[v.mmuLock]!, MMU_WRITER)}`,
    `invalidate_in_progress ${s[v.invalidateInProgress]}`,
    s[v.vmBugged] ? 'VM BUGGED (dead)' : '',
    s[v.waitForSeptZap] ? 'wait_for_sept_zap' : '',
    s[v.vcpusStopped] ? 'vCPUs stopped' : '',
  ].filter(Boolean).join(', ');
  out.guest_memfd = `invalidate_lock ${lockText(s[v.filemapLock]!, LOCK_EXCLUSIVE)}${k.config.scenario.hugeFolio > 1 ? `, huge folio ${s[v.folioSplit] ? 'split' : 'whole'}` : ''}`;
  for (let g = 0; g < k.gfns; g++) {
    const sept = s[v.sept + g]!;
    out[`gfn ${g}`] = [
      s[v.attr + g] ? 'shared' : 'private',
      s[v.present + g] ? 'in file' : 'not in file',
      `spte ${['none', 'FROZEN', 'present'][s[v.spte + g]!]}`,
      `S-EPT ${septStateNames[sept]}${isBlocked(sept) ? ` (blocked ${ageText(s[v.blockAge + g]!)})` : ''}`,
      `PAMT ${s[v.pamt + g] ? 'PT_REG' : 'PT_NDA'}`,
    ].join(', ');
    const holders = [
      ['page_cache', v.refPageCache],
      ['tdx_pin', v.refPin],
      ['transient', v.refTransient],
      ['user_map', v.refUserMap],
      ['gup', v.refGup],
      ['hwpoison', v.refHwpoison],
    ] as const;
    const refs = holders.filter(([, h]) => s[h + g]).map(([name, h]) => `${name} ${s[h + g]}`);
    for (let c = 0; c < k.vcpus; c++) if (s[v.faultRef + c] && s[v.faultGfn + c] === g) refs.push(`vcpu${c} fault`);
    out[`frame ${g}`] = [
      ['free', 'guest_memfd', 'HOST (reused)'][s[v.owner + g]!],
      `refs ${k.mm.frameRefs(s, g)}${refs.length ? ` (${refs.join(', ')})` : ''}`,
      s[v.dirty + g] ? 'dirty HKID lines' : 'cache clean',
      `holds ${['nobody\'s data', 'guest data', 'host data'][s[v.content + g]!]}`,
      s[v.poison + g] ? 'HWPOISON' : '',
      s[v.marked + g] ? 'marked' : '',
    ].filter(Boolean).join(', ');
    if (k.config.scenario.guestGfns.includes(g)) {
      out[`guest ${g}`] = `${s[v.accepted + g] ? 'accepted' : 'not accepted'}${s[v.guestData + g] ? ', wrote data' : ''}`;
    }
  }
  for (let c = 0; c < k.vcpus; c++) {
    const pc = s[v.vcpuPc + c]!;
    out[`vcpu${c}`] = [
      s[v.inGuest + c] ? `in guest (entered ${ageText(s[v.entryAge + c]!)})` : 'outside the guest',
      pc ? `${faultPcNames[pc]} gfn ${s[v.faultGfn + c]}${s[v.faultStale + c] ? ' (stale)' : ''}` : '',
      s[v.vcpuStatus + c] ? statusText(s[v.vcpuStatus + c]!) : '',
      s[v.need + c] ? `guest waits on gfn ${s[v.need + c]! - 1}` : '',
    ].filter(Boolean).join(', ');
  }
  const op = currentOp(k, s);
  out.vmm = op
    ? [`op ${s[v.vmmOp]} ${op.op}`, pcNames[s[v.vmmPc]!] ?? 'start', s[v.vmmPc]! >= ZAP_BLOCK && s[v.vmmPc]! <= ZAP_WBINVD ? `gfn ${s[v.vmmCursor]}` : '', s[v.vmmStatus] ? statusText(s[v.vmmStatus]!) : '']
        .filter(Boolean)
        .join(', ')
    : 'done';
  if (s[v.mfPc]) out.memory_failure = `frame ${s[v.mfTarget]}, ${pcNames[s[v.mfPc]!]}${s[v.mfStatus] ? `, ${statusText(s[v.mfStatus]!)}` : ''}`;
  const budgets = [v.budgetRemoveFails, v.budgetBlockFails, v.budgetBusy, v.budgetTransient, v.budgetMemoryFailure];
  out['faults left'] = faultKinds.map((name, i) => `${name}=${s[budgets[i]!]}`).join(' ');
  return out;
}
