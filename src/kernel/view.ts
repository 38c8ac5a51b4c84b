/** A state as a reviewer reads it: the TD, KVM, each GFN and frame, each vCPU, the VMM. */
import type { State } from '../engine/index.js';
import { faultKinds } from './config.js';
import type { Kernel } from './kernel.js';
import { invalidationLabels, vcpuLabels, vmmLabels, zapping } from './programs.js';
import { septStateNames, isBlocked, statusText } from './seam.js';
import { LOCK_EXCLUSIVE, MMU_WRITER } from './vars.js';

/** A 2M PAMT entry's value (vars.ts PT_NDA, PT_REG, PT_PAMT), as the view shows it. */
const pamt2mText = ['PT_NDA', 'PT_REG (a 2M TD page)', 'node over a page pair'];

const lockText = (n: number, writer: number) =>
  n === 0 ? 'free' : n === writer ? 'write' : `read x${n}`;
const ageText = (age: number) =>
  age >= 2 ? '2+ TRACKs ago' : `${age} TRACK${age === 1 ? '' : 's'} ago`;

/** One entry per fact, so a trace's "what changed" names exactly the fact that changed. */
export function describeState(k: Kernel, s: State): Record<string, string> {
  const v = k.v;
  const out: Record<string, string> = {};
  out['td'] =
    `${['INITIALIZED', 'RUNNABLE'][s[v.tdOpState]!]}, ${['KEYS_CONFIGURED', 'BLOCKED', 'TEARDOWN'][s[v.tdLifecycle]!]}`;
  out['td TDR'] = ['live', 'reclaimed', 'leaked'][s[v.tdr]!]!;
  out['kvm mmu_lock'] = lockText(s[v.mmuLock]!, MMU_WRITER);
  out['kvm mmu_invalidate_in_progress'] = String(s[v.invalidateInProgress]);
  out['kvm VM'] = s[v.vmBugged] ? 'BUGGED (dead)' : s[v.vcpusStopped] ? 'vCPUs stopped' : 'alive';
  out['kvm wait_for_sept_zap'] = s[v.waitForSeptZap] ? 'set' : 'clear';
  out['kvm VM fd'] = s[v.vmFd] ? 'closed' : 'open';
  out['gmem invalidate_lock'] = lockText(s[v.filemapLock]!, LOCK_EXCLUSIVE);
  out['gmem file'] = ['open', 'released (inode not yet evicted)', 'inode evicted'][s[v.gmemFile]!]!;
  if (k.config.scenario.hugeFolio > 1) out['gmem huge folio'] = s[v.folioSplit] ? 'split' : 'whole';
  // Frame f's lines follow GFN f's (the layout where frame = GFN), spare frames last.
  const frame = (f: number) => {
    out[`frame ${f} PAMT`] = s[v.pamt + f] ? 'PT_REG' : 'PT_NDA';
    out[`frame ${f} owner`] = ['free', 'guest_memfd', 'HOST (reused)'][s[v.owner + f]!]!;
    out[`frame ${f} refcount`] = refsText(k, s, f);
    out[`frame ${f} cache`] = s[v.dirty + f]
      ? 'dirty lines under the HKID'
      : s[v.tdBit + f]
        ? 'written back, TD-bit lines not reset'
        : 'clean';
    out[`frame ${f} holds`] =
      `${["nobody's data", 'guest data', 'host data'][s[v.content + f]!]}${s[v.poison + f] ? ', HWPOISON' : ''}${s[v.marked + f] ? `, marked${s[v.marked + f] === 2 ? ' 2' : ''}` : ''}`;
  };
  for (let g = 0; g < k.gfns; g++) {
    const sept = s[v.sept + g]!;
    out[`gfn ${g}`] =
      `${s[v.attr + g] ? 'shared' : 'private'}, ${s[v.present + g] ? 'in file' : 'not in file'}`;
    out[`gfn ${g} mirror SPTE`] =
      `${['none', 'FROZEN', 'present'][s[v.spte + g]!]!}${s[v.premapped + g] ? ', premapped (nr_premapped, not ADDed)' : ''}`;
    out[`gfn ${g} S-EPT`] =
      `${septStateNames[sept]}${isBlocked(sept) ? ` (blocked ${ageText(s[v.blockAge + g]!)})` : ''}`;
    if (v.folioBlock !== v.zero) out[`gfn ${g} frame`] = String(k.frameOf(s, g));
    frame(g);
    if (k.config.scenario.guestGfns.includes(g)) {
      out[`guest gfn ${g}`] =
        `${s[v.accepted + g] ? 'accepted' : 'not accepted'}${s[v.guestData + g] ? ', wrote data' : ''}`;
    }
  }
  for (let f = k.gfns; f < k.frameCount; f++) frame(f);
  if (k.pamt) {
    // Dynamic PAMT (module 2.0): the range's 2M PAMT entry, its pair, the kernel's refcount
    for (let r = 0; r < v.pamtBlockCount; r++) {
      out[`2M range ${r} PAMT`] = pamt2mText[s[v.pamt2m + r]!]!;
      out[`2M range ${r} pair pages`] = s[v.pamtPair + r] ? "the module's" : 'free';
      out[`2M range ${r} DPAMT refcount`] = String(s[v.pamtRef + r]);
    }
  }
  for (let r = 0; r < v.hugeRanges; r++) {
    const e = s[v.sept2m + r]!;
    const gfns = k.seam.rangeGfns(r);
    const name = `gfns ${gfns[0]}-${gfns.at(-1)}`;
    out[`${name} 2M S-EPT`] =
      `${septStateNames[e]}${isBlocked(e) ? ` (blocked ${ageText(s[v.blockAge2m + r]!)})` : ''}`;
    out[`${name} 2M mirror`] = ['none', '2M leaf', '4K table', 'zapping the 2M leaf', 'splitting'][
      s[v.mirror2m + r]!
    ]!;
    out[`${name} S-EPT table page`] = [
      'none',
      "PT_EPT (the module's)",
      "orphan (KVM's, never given to the module)",
      'reclaimed',
      'LEAKED',
    ][s[v.table + r]!]!;
    if (!k.pamt) out[`${name} 2M PAMT`] = pamt2mText[s[v.pamt2m + r]!]!;
    out[`${name} GUEST_INHIBIT`] = s[v.guestInhibit + r] ? 'set (KVM maps 4K only)' : 'clear';
  }
  for (let c = 0; c < k.vcpus; c++) {
    const pc = s[v.vcpuPc + c]!;
    out[`vcpu${c}`] = s[v.inGuest + c]
      ? `in guest (entered ${ageText(s[v.entryAge + c]!)})`
      : 'outside the guest';
    // tdx_honor_guest_accept_level's split (none without 2M leaves, whose block of zeroes may be
    // shorter than the vCPUs)
    const split = v.hugeRanges ? s[v.acceptSplitPc + c]! : 0;
    out[`vcpu${c} fault`] = pc
      ? `${vcpuLabels[pc]} gfn ${s[v.faultGfn + c]}${s[v.faultStale + c] ? ' (stale)' : ''}${split ? `, split at ${invalidationLabels[split]}` : ''}`
      : 'none';
    out[`vcpu${c} result`] = s[v.vcpuStatus + c] ? statusText(s[v.vcpuStatus + c]!) : '-';
    out[`vcpu${c} guest waits on`] = s[v.need + c] ? `gfn ${s[v.need + c]! - 1}` : 'nothing';
  }
  const op = k.script.current(s);
  const pc = s[v.vmmPc]!;
  out['vmm op'] = op ? `${s[v.vmmOp]}: ${op.op}` : k.script.done(s) ? 'done' : 'choosing';
  out['vmm at'] = op ? `${vmmLabels[pc]}${zapping(pc) ? ` gfn ${s[v.vmmCursor]}` : ''}` : '-';
  out['vmm result'] = s[v.vmmStatus] ? statusText(s[v.vmmStatus]!) : '-';
  out['memory_failure'] = s[v.mfPc]
    ? `frame ${s[v.mfTarget]}, ${invalidationLabels[s[v.mfPc]!]}${s[v.mfStatus] ? `, ${statusText(s[v.mfStatus]!)}` : ''}`
    : 'idle';
  const budgets = [
    v.budgetRemoveFails,
    v.budgetBlockFails,
    v.budgetBusy,
    v.budgetTransient,
    v.budgetMemoryFailure,
    v.budgetRetryFails,
    v.budgetWbinvdFails,
    v.budgetAddFails,
    v.budgetDemoteFails,
  ];
  faultKinds.forEach((name, i) => {
    // DEMOTE exists only with 2M leaves: the other trees' traces do not list it
    if (name !== 'demote-fails' || v.hugeRanges) out[`faults ${name}`] = `${s[budgets[i]!]} left`;
  });
  return out;
}

/** The folio refcount as the sum of who holds it. */
function refsText(k: Kernel, s: State, f: number): string {
  const v = k.v;
  const holders = [
    ['page_cache', v.refPageCache],
    ['tdx_pin', v.refPin],
    ['transient', v.refTransient],
    ['user_map', v.refUserMap],
    ['gup', v.refGup],
    ['hwpoison', v.refHwpoison],
  ] as const;
  const refs = holders.filter(([, h]) => s[h + f]).map(([name, h]) => `${name} ${s[h + f]}`);
  for (let c = 0; c < k.vcpus; c++)
    if (s[v.faultRef + c] && k.frameOf(s, s[v.faultGfn + c]!) === f) refs.push(`vcpu${c} fault 1`);
  return `${k.mm.frameRefs(s, f)}${refs.length ? ` (${refs.join(', ')})` : ''}`;
}
