/**
 * guest_memfd (virt/kvm/guest_memfd.c): owns the TD's memory, allocates folios on fault and
 * hands KVM a pfn with a reference, tells KVM's MMU before it removes or converts anything
 * (invalidate begin/end under filemap_invalidate_lock), punches holes, converts in place
 * between shared and private (splitting and merging the HugeTLB folio, which needs the folio's
 * refcount to be only what guest_memfd accounts for), and handles memory failure.
 *
 * Sources: kvm_gmem_get_pfn, kvm_gmem_punch_hole, kvm_gmem_invalidate_begin/end,
 * kvm_gmem_error_folio, kvm_gmem_migrate_folio (refuses), kvm_gmem_release in guest_memfd.c;
 * in-place conversion and HugeTLB support from Ackerley Tng's series (2025), per
 * ../shared/reference/domain.md. Our simplifications: one memslot binds the whole file at
 * GFN 0; conversion splits the folio in one step and never waits inside the kernel (it returns
 * -EAGAIN and the VMM retries); shared pages are not mapped in KVM's shared EPT.
 *
 * Tree hugepage-v3 ([gmem-hv3], huge-pages.md G1-G3; trees.ts): a punch of a HugeTLB file covers
 * whole huge folios or is -EINVAL, and merges and truncates only with a safe refcount (else
 * -EAGAIN); the conversion to shared ends the invalidation before it splits the folio.
 * Simplifications there: the invalidation's range (rounded out to the huge page by
 * kvm_gmem_compute_invalidate_start/end) is not part of the state, as mmu_invalidate_in_progress
 * stops every fault; kvm_gmem_split_private's own mmu_lock hold is merged into the zap's (the
 * split of a boundary leaf runs first in the same walk, tdx.ts), since no fault can map between
 * them while filemap_invalidate_lock is held.
 */
import type { Action, State, Successors } from '../engine/index.js';
import {
  kvmMmuInvalidateBegin,
  own,
  zapNext,
  zapNextReads,
  type InvalidationWork,
  type Invalidator,
} from './invalidator.js';
import type { Kernel } from './kernel.js';
import {
  INV_BEGIN,
  INV_END,
  INV_LOCK,
  INV_MMU_UNLOCK,
  INV_RESTRUCTURE,
  INV_WORK,
} from './programs.js';
import { S, statusText } from './seam.js';
import { kernelStep } from './step.js';
import { ATTR_PRIVATE, ATTR_SHARED, GMEM_RELEASED, LOCK_EXCLUSIVE, MMU_WRITER } from './vars.js';

const GMEM = 'virt/kvm/guest_memfd.c';

/**
 * kvm_gmem_get_pfn for vCPU `c`: the fault's temporary reference on the folio, allocating it
 * first if needed. Returns the successor (with the vCPU's status, and fault.ref set when it
 * got the page), or undefined while it must wait. Where the tree's kvm_gmem_get_pfn takes
 * filemap_invalidate_lock shared (trees.ts `getPfnTakesInvalidateLock`: conversion-rfc) the
 * fault sleeps while an invalidation holds it exclusive; elsewhere it takes no lock and a
 * fault during an invalidation retries on mmu_invalidate_in_progress / the sequence
 * ([kx-gmem] kvm_gmem_get_pfn; mmu.c is_page_fault_stale).
 */
export function kvmGmemGetPfn(
  k: Kernel,
  s: State,
  out: Successors,
  c: number,
  g: number,
): State | undefined {
  const v = k.v;
  if (k.tree.getPfnTakesInvalidateLock && s[v.filemapLock] === LOCK_EXCLUSIVE) return undefined;
  // Simplification: a fault of a VM that KVM_BUG_ON killed ends with -EIO here (the real one
  // goes on, maps nothing the dead VM can use, and its vCPU never re-enters).
  if (s[v.vmBugged]) return done(out, v.vcpuStatus + c, S.EIO);
  if (s[v.invalidateInProgress]) return done(out, v.vcpuStatus + c, S.RETRY); // mmu_invalidate_retry_gfn_unsafe
  if (s[v.attr + g] !== ATTR_PRIVATE) return done(out, v.vcpuStatus + c, S.MEMORY_FAULT); // private fault on a shared GFN
  if (s[v.poison + k.frameOf(s, g)]) return done(out, v.vcpuStatus + c, S.EHWPOISON);
  if (!s[v.present + g] && !k.mm.canAllocate(s, g)) return undefined; // the allocator gives this frame back later
  const t = out.next();
  if (!t[v.present + g]) k.mm.allocate(t, g);
  t[v.faultRef + c] = 1;
  return t;
}

/** What kvmGmemGetPfn reads, and writes for vCPU c. */
export const getPfnReads = (k: Kernel): number[] => [
  ...k.scalars(k.v.filemapLock, k.v.vmBugged, k.v.invalidateInProgress, k.v.folioSplit),
  ...k.frames(k.v.attr, k.v.poison, k.v.present, k.v.owner, k.v.folioBlock),
];
export const getPfnWrites = (k: Kernel, c: number): number[] => [
  k.v.vcpuStatus + c,
  k.v.faultRef + c,
  ...k.mm.allocateWrites(),
];

function done(out: Successors, statusVar: number, st: number): State {
  const t = out.next();
  t[statusVar] = st;
  return t;
}

/** The guest gave these GFNs up (MapGPA, or the VMM discarding them): it no longer expects its
 * data there. */
export function guestReleases(k: Kernel, t: State, range: number): void {
  for (let g = 0; g < k.gfns; g++) {
    if (!(range & (1 << g))) continue;
    t[k.v.guestData + g] = 0;
    t[k.v.accepted + g] = 0;
  }
}

/**
 * kvm_gmem_mapping_order: the largest mapping KVM may use for `gfn`, as guest_memfd allows it:
 * 1 (the huge order, the model's "2M") when the folio behind gfn is the HugeTLB folio, whole
 * (not split), in the file, and every page of it private; else 0 (4 KiB). Sources (plan G5): the HugeTLB
 * guest_memfd under Yan Zhao's huge page v3 series, virt/kvm/guest_memfd.c
 * kvm_gmem_mapping_order (huge order only if the whole huge page is private) and
 * __kvm_gmem_get_pfn (the folio's own order: a split folio's pieces are order 0). For the S-EPT
 * 2M level's fault path (issue 17).
 */
export function kvm_gmem_mapping_order(k: Kernel, s: State, gfn: number): 0 | 1 {
  const huge = k.config.scenario.hugeFolio;
  if (huge <= 1 || gfn >= huge || s[k.v.folioSplit] || !s[k.v.present]) return 0;
  for (let g = 0; g < huge; g++) if (s[k.v.attr + g] !== ATTR_PRIVATE) return 0;
  return 1;
}
/** What kvm_gmem_mapping_order reads. */
export const mappingOrderReads = (k: Kernel) => [
  ...k.scalars(k.v.folioSplit),
  ...k.frames(k.v.present, k.v.attr),
];

/** Does the range cover only part of the allocated, unsplit HugeTLB folio (so it must be split)? */
export function needsSplit(k: Kernel, s: State, range: number): boolean {
  const huge = k.config.scenario.hugeFolio;
  if (huge <= 1 || s[k.v.folioSplit] || !s[k.v.present]) return false;
  const whole = (1 << huge) - 1;
  return (range & whole) !== 0 && (range & whole) !== whole;
}

/** Does kvm_gmem_fallocate refuse to punch `range` (-EINVAL before any lock)? On a HugeTLB
 * file where the tree wants whole huge pages (trees.ts punchWholeHugePages, G1): when the range
 * does not start and end on the folio's boundaries. */
export function fallocateRefuses(k: Kernel, range: number): boolean {
  const huge = k.config.scenario.hugeFolio;
  if (huge <= 1 || !k.tree.punchWholeHugePages) return false;
  const { start, end } = rangeArgs(range);
  return start % huge !== 0 || (end - start) % huge !== 0;
}

/** Does the punch merge before it truncates, with the refcount check (punchMergesFirst, G2)?
 * Only a HugeTLB file: merge_truncate_range truncates any other at once. */
const mergesFirst = (k: Kernel) => k.config.scenario.hugeFolio > 1 && k.tree.punchMergesFirst;

/** Does the conversion to shared split the folio after invalidate_end (the invalidator being
 * at `s`)? */
export function restructuresLate(k: Kernel, inv: Invalidator, s: State): boolean {
  return k.tree.restructureAfterInvalidateEnd && inv.work(s) === 'to-shared';
}

/** What truncate may write. */
export const truncateWrites = (k: Kernel) => [
  ...k.frames(k.v.present),
  ...k.mm.putWrites(k.v.refPageCache),
];

/** filemap_invalidate_lock (exclusive): the invalidating path begins, once no fault holds the
 * lock shared. A conversion to shared of a range already all shared ends here with 0, its
 * lock dropped and nothing invalidated, as the one to private does ([rfc-v2] guest_memfd.c
 * kvm_gmem_convert_range: an empty list from kvm_gmem_convert_compute_work goes straight to
 * the unlock; virt/kvm/kvm_main.c kvm_vm_set_mem_attributes, which the host scenario's
 * conversions stand for on trees without in-place conversion: "Nothing to do if the entire
 * range has the desired attributes"). */
export function filemapInvalidateLock(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  const early = k.mutated('truncate-before-unmap');
  const nothingToDo = (t: State) =>
    inv.work(t) === 'to-shared' && allAre(k, t, inv.range(t), ATTR_SHARED);
  return kernelStep({
    process: inv.process,
    fn: 'filemap_invalidate_lock',
    file: GMEM,
    fairness: 'strong',
    // The path's entry point (kvm_gmem_punch_hole, the conversion ioctl, ...) is what is seen.
    observe: (b) => inv.entry?.(b) ?? [],
    at: [inv.pc, INV_LOCK],
    reads: [...own(inv), ...k.frames(v.attr), ...(early ? k.mm.refReads : [])],
    writes: [
      v.filemapLock,
      inv.pc,
      inv.status,
      ...inv.beginWrites,
      ...inv.finishWrites,
      ...(early ? truncateWrites(k) : []),
    ],
    next(s, out) {
      if (s[v.filemapLock] !== 0 || inv.refused?.(s)) return;
      const t = out.next();
      t[inv.status] = 0;
      inv.begin?.(t);
      if (nothingToDo(t)) return inv.finish(t);
      t[v.filemapLock] = LOCK_EXCLUSIVE;
      t[inv.pc] = INV_BEGIN;
      if (early && inv.work(t) === 'truncate') truncate(k, t, inv.range(t));
    },
    call: (b, a) =>
      a[inv.pc] === INV_BEGIN
        ? ''
        : `to shared, gfns ${rangeText(k, inv.range(b))}: already shared, nothing to do -> 0`,
  });
}

/** Whether every GFN of `range` has attribute `attr` already (a conversion's empty work list). */
function allAre(k: Kernel, s: State, range: number, attr: number): boolean {
  for (let g = 0; g < k.gfns; g++) if (range & (1 << g) && s[k.v.attr + g] !== attr) return false;
  return true;
}

/** kvm_gmem_invalidate_begin: KVM_MMU_LOCK (write), kvm_mmu_invalidate_begin, and the TDP
 * MMU's walk of the range (kvm_mmu_unmap_gfn_range) to its first leaf. */
export function kvmGmemInvalidateBegin(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  return kernelStep({
    process: inv.process,
    fn: 'kvm_gmem_invalidate_begin',
    file: GMEM,
    fairness: 'strong', // KVM_MMU_LOCK (write) waits for readers to go
    at: [inv.pc, INV_BEGIN],
    holds: [k.locks.filemapInvalidateLock],
    reads: [...own(inv), ...zapNextReads(k), ...k.vcpuFields(v.vcpuPc)],
    writes: [v.mmuLock, v.invalidateInProgress, inv.pc, inv.cursor, ...k.vcpuFields(v.faultStale)],
    next(s, out) {
      if (s[v.mmuLock] !== 0) return;
      const t = out.next();
      t[v.mmuLock] = MMU_WRITER;
      kvmMmuInvalidateBegin(k, t);
      if (k.mutated('convert-without-zap') && inv.work(t) === 'to-shared') {
        t[inv.pc] = INV_MMU_UNLOCK;
        return;
      }
      zapNext(k, t, inv, 0);
    },
    call: (b) =>
      `KVM_MMU_LOCK (write); kvm_mmu_invalidate_begin; kvm_mmu_unmap_gfn_range gfns ${rangeText(k, inv.range(b))}`,
    observe: (b) => [{ fn: 'kvm_gmem_invalidate_begin', args: rangeArgs(inv.range(b)) }],
  });
}

/** The caller's own work between unmapping and invalidate_end: one step at INV_WORK for the
 * invalidator whose work is `work`, once `ready`. */
interface WorkStep {
  readonly work: InvalidationWork;
  readonly fn: string;
  /** its file: mm/truncate.c for truncate, else guest_memfd.c */
  readonly file?: string;
  /** after kvm_gmem_invalidate_end, ending the path (INV_RESTRUCTURE), instead of before it */
  readonly late?: boolean;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  ready(s: State, range: number): boolean;
  apply(t: State, range: number): void;
  call(b: State, a: State): string;
}

function invalidationWork(k: Kernel, inv: Invalidator, w: WorkStep): Action {
  return kernelStep({
    process: inv.process,
    fn: w.fn,
    file: w.file ?? (w.work === 'truncate' ? 'mm/truncate.c' : GMEM),
    fairness: 'weak',
    at: [inv.pc, w.late ? INV_RESTRUCTURE : INV_WORK],
    reads: [...own(inv), ...w.reads],
    writes: [inv.pc, ...w.writes, ...(w.late ? [k.v.filemapLock, ...inv.finishWrites] : [])],
    next(s, out) {
      if (inv.work(s) !== w.work || !w.ready(s, inv.range(s))) return;
      const t = out.next();
      w.apply(t, inv.range(s));
      if (!w.late) t[inv.pc] = INV_END;
      else {
        t[k.v.filemapLock] = 0; // filemap_invalidate_unlock
        inv.finish(t);
      }
    },
    call: w.call,
  });
}

/** Punch hole: truncate_inode_pages_range drops the range's folios. On a tree that merges
 * first (G2, [gmem-hv3] merge_truncate_range with require_merge): unless every folio in the
 * range holds only the page cache's reference (kvm_gmem_has_safe_refcount), -EAGAIN and
 * nothing truncated (the zap is done); else the split pieces are merged back to the huge
 * folio (gmem_hugetlb_restructure_folio) and the whole folio leaves the page cache. */
export function truncateInodePagesRange(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  const merge = mergesFirst(k);
  return invalidationWork(k, inv, {
    work: 'truncate',
    fn: merge ? 'merge_truncate_range' : 'truncate_inode_pages_range',
    ...(merge ? { file: GMEM } : {}),
    reads: k.mm.refReads,
    writes: [
      ...truncateWrites(k),
      ...(merge ? [inv.status, ...k.scalars(v.folioSplit), ...k.frames(v.refPageCache)] : []),
    ],
    // The mutation: a punch hole that waits for the refcount its own page-cache reference keeps up.
    ready: (s, range) => !k.mutated('truncate-waits-for-zero') || !anyReferenced(k, s, range),
    apply: (t, range) => {
      if (k.mutated('truncate-before-unmap')) return;
      if (merge) {
        if (!safeRefcount(k, t, range)) return void (t[inv.status] = S.EAGAIN);
        if (t[v.folioSplit]) mergeFolio(k, t);
      }
      truncate(k, t, range);
    },
    call: (b, a) =>
      `gfns ${rangeText(k, inv.range(b))}${merge ? ` -> ${a[inv.status] === S.EAGAIN ? '-EAGAIN: a folio holds more than the page cache, nothing truncated' : `${b[v.folioSplit] ? 'merged, ' : ''}the whole folio truncated`}` : ''}`,
  });
}

/** kvm_gmem_has_safe_refcount: every folio with a page in `range` holds only the page cache's
 * reference (the model's one for the folio; the kernel compares with its pages + the lookup's). */
function safeRefcount(k: Kernel, s: State, range: number): boolean {
  for (let g = 0; g < k.gfns; g++)
    if (range & (1 << g) && s[k.v.present + g] && k.mm.folioRefs(s, k.frameOf(s, g)) !== 1)
      return false;
  return true;
}

/** Conversion to shared: kvm_gmem_convert_range. A split waits, holding the invalidate lock,
 * for the folio's refcount to drop to what guest_memfd accounts for: no new fault can take a
 * reference meanwhile. Where the tree restructures after invalidate_end (hugepage-v3's
 * kvm_gmem_convert, G3) this is kvm_gmem_restructure plus the attribute's store, and it ends
 * the path (filemap_invalidate_unlock in __kvm_gmem_set_attributes). */
export function kvmGmemConvertRange(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  // its status (the step that ends the path leaves none behind)
  const convertStatus = (b: State) => {
    const t = b.slice();
    convertToShared(k, t, inv, inv.range(b));
    return t[inv.status]!;
  };
  return invalidationWork(k, inv, {
    work: 'to-shared',
    fn: k.tree.restructureAfterInvalidateEnd ? 'kvm_gmem_restructure' : 'kvm_gmem_convert_range',
    late: k.tree.restructureAfterInvalidateEnd,
    reads: k.mm.refReads,
    writes: [
      inv.status,
      ...k.scalars(v.folioSplit),
      ...k.frames(v.refPageCache, v.attr, ...(k.mutated('split-copies-mark') ? [v.marked] : [])),
    ],
    ready: (s, range) =>
      !needsSplit(k, s, range) || k.mm.folioRefs(s, k.frameOf(s, 0)) === splitExpects(k),
    apply: (t, range) => convertToShared(k, t, inv, range),
    call: (b, a) =>
      `to shared, gfns ${rangeText(k, inv.range(b))}${a[v.folioSplit] !== b[v.folioSplit] ? ', huge folio split' : ''} -> ${statusText(convertStatus(b))}`,
  });
}

/** File release: kvm_gmem_release (kvm-x86 virt/kvm/guest_memfd.c) clears each binding's
 * slot->gmem.file (later faults get -EFAULT from kvm_gmem_get_pfn) and, once the invalidation
 * is over, unlinks the file. It does not truncate: the memory belongs to the inode, whose
 * eviction frees the folios after release returns (teardown.ts). Our simplification: the
 * unbinding is shown here, after the zap; the kernel does it before, under the same lock, with
 * every vCPU already out of KVM_RUN, so nothing can tell. */
export function kvmGmemRelease(k: Kernel, inv: Invalidator): Action {
  return invalidationWork(k, inv, {
    work: 'release',
    fn: 'kvm_gmem_release',
    reads: [],
    writes: [k.v.gmemFile],
    ready: () => true,
    apply: (t) => void (t[k.v.gmemFile] = GMEM_RELEASED),
    call: () => 'bindings unlinked; no truncate: the folios stay with the inode',
  });
}

/** Memory failure: kvm_gmem_error_folio leaves the poisoned folio in the file. */
export function kvmGmemErrorFolio(k: Kernel, inv: Invalidator): Action {
  return invalidationWork(k, inv, {
    work: 'none',
    fn: 'kvm_gmem_error_folio',
    reads: [],
    writes: [],
    ready: () => true,
    apply: () => {},
    call: () => 'the poisoned folio stays in the file',
  });
}

/** kvm_gmem_invalidate_end: kvm_mmu_invalidate_end (under KVM_MMU_LOCK), and
 * filemap_invalidate_unlock: the path ends. */
export function kvmGmemInvalidateEnd(k: Kernel, inv: Invalidator): Action {
  const v = k.v;
  return kernelStep({
    process: inv.process,
    fn: 'kvm_gmem_invalidate_end',
    file: GMEM,
    fairness: 'strong',
    at: [inv.pc, INV_END],
    reads: [...own(inv), v.mmuLock],
    writes: [v.invalidateInProgress, v.filemapLock, inv.pc, ...inv.finishWrites],
    next(s, out) {
      if (s[v.mmuLock] !== 0) return;
      const t = out.next();
      if (!k.mutated('invalidate-end-leaks')) t[v.invalidateInProgress]!--;
      if (restructuresLate(k, inv, s)) return void (t[inv.pc] = INV_RESTRUCTURE);
      t[v.filemapLock] = 0;
      inv.finish(t);
    },
    call: (b) =>
      `kvm_mmu_invalidate_end${restructuresLate(k, inv, b) ? '' : '; filemap_invalidate_unlock'}`,
    observe: (b) => [{ fn: 'kvm_gmem_invalidate_end', args: rangeArgs(inv.range(b)) }],
  });
}

function anyReferenced(k: Kernel, s: State, range: number): boolean {
  for (let g = 0; g < k.gfns; g++)
    if (range & (1 << g) && s[k.v.present + g] && k.mm.folioRefs(s, k.frameOf(s, g)) !== 0)
      return true;
  return false;
}

/** truncate_inode_pages_range: the page cache drops its folios; a folio whose refcount reaches
 * zero goes back to the allocator. */
export function truncate(k: Kernel, t: State, range: number): void {
  const v = k.v;
  for (let g = 0; g < k.gfns; g++) {
    if (!(range & (1 << g)) || !t[v.present + g]) continue;
    const frame = k.frameOf(t, g);
    const [from, to] = k.mm.folioFrames(t, frame);
    const first = g - (frame - from); // the folio's first GFN
    for (let i = 0; i < to - from; i++) {
      if (!(range & (1 << (first + i))))
        throw new Error(`punching gfn ${g} out of an unsplit huge folio is not modelled`);
    }
    if (anyKept(k, t, from, to)) continue; // the page stays: its unmap failed
    for (let i = 0; i < to - from; i++) t[v.present + first + i] = 0;
    k.mm.put(t, v.refPageCache, from);
  }
}

/** Does the policy make guest_memfd keep a page of frames [from, to)? */
function anyKept(k: Kernel, t: State, from: number, to: number): boolean {
  for (let f = from; f < to; f++) if (k.policy.keepsPage(t, f)) return true;
  return false;
}

/** The refcount a split of the HugeTLB folio waits for: guest_memfd's own page-cache
 * reference (the mutation forgets it). */
function splitExpects(k: Kernel): number {
  return k.mutated('split-expects-zero') ? 0 : 1;
}

/** kvm_gmem_convert_range to shared, once the refcount allows: split the HugeTLB folio if only
 * part of it converts, then flip the range to shared. */
function convertToShared(k: Kernel, t: State, inv: Invalidator, range: number): void {
  const v = k.v;
  for (let g = 0; g < k.gfns; g++) {
    const frame = k.frameOf(t, g);
    if (range & (1 << g) && anyKept(k, t, frame, frame + 1)) {
      t[inv.status] = S.EIO; // the unmap failed: the conversion fails, nothing changes
      return;
    }
    if (range & (1 << g) && !k.policy.mayConvertToShared(t, frame)) {
      t[inv.status] = S.EFAULT; // the policy vetoes it (page-ext: still marked)
      return;
    }
  }
  if (needsSplit(k, t, range)) {
    // split_folio: every subpage becomes a folio of its own, with its own page-cache reference.
    const head = k.frameOf(t, 0);
    t[v.folioSplit] = 1;
    for (let i = 0; i < k.config.scenario.hugeFolio; i++) {
      t[v.refPageCache + head + i] = t[v.present + i]!;
      // The mutation: the split copies the head's flags to every subpage (RFC v2 38/51's
      // `p->flags = folio->flags`, quoted by Yan Zhao 2025-06-23), mark included.
      if (k.mutated('split-copies-mark')) t[v.marked + head + i] = t[v.marked + head]!;
    }
  }
  for (let g = 0; g < k.gfns; g++) if (range & (1 << g)) t[v.attr + g] = ATTR_SHARED;
  t[inv.status] = S.SUCCESS;
}

/** kvm_gmem_convert_range to private, under filemap_invalidate_lock: userspace mappings are
 * unmapped, then every folio in the range must hold only guest_memfd's reference (a GUP pin
 * makes it -EAGAIN); a fully private HugeTLB folio is merged back. Returns the status. A range
 * already private is 0 with nothing done, whatever its refcounts: [rfc-v2] guest_memfd.c
 * kvm_gmem_convert_compute_work leaves out what already has the target shareability and
 * kvm_gmem_convert_range returns 0 on an empty work list; so does KVM_SET_MEMORY_ATTRIBUTES,
 * which the host scenario's conversions stand for on trees without in-place conversion
 * (virt/kvm/kvm_main.c kvm_vm_set_mem_attributes: "Nothing to do if the entire range has the
 * desired attributes"). */
export function kvmGmemConvertToPrivate(k: Kernel, t: State, range: number): number {
  const v = k.v;
  if (allAre(k, t, range, ATTR_PRIVATE)) return S.SUCCESS;
  for (let g = 0; g < k.gfns; g++) {
    const frame = k.frameOf(t, g);
    if (range & (1 << g) && t[v.refUserMap + frame]) k.mm.put(t, v.refUserMap, frame); // unmap_mapping_range
  }
  for (let g = 0; g < k.gfns; g++) {
    if (range & (1 << g) && t[v.present + g] && k.mm.folioRefs(t, k.frameOf(t, g)) !== 1)
      return S.EAGAIN;
  }
  for (let g = 0; g < k.gfns; g++) if (range & (1 << g)) t[v.attr + g] = ATTR_PRIVATE;
  mergeIfWhole(k, t);
  return S.SUCCESS;
}

/** Merge the HugeTLB folio back when every subpage is private, present and unreferenced but
 * for the page cache. Our simplification: with another reference the merge is skipped, where
 * [gmem-hv3]'s kvm_gmem_restructure would wait in the refcount freeze (huge-pages.md G4). */
function mergeIfWhole(k: Kernel, t: State): void {
  const v = k.v;
  const huge = k.config.scenario.hugeFolio;
  if (huge <= 1 || !t[v.folioSplit]) return;
  const head = k.frameOf(t, 0);
  for (let i = 0; i < huge; i++) {
    if (t[v.attr + i] !== ATTR_PRIVATE || !t[v.present + i] || k.mm.frameRefs(t, head + i) !== 1)
      return;
  }
  mergeFolio(k, t);
}

/** gmem_hugetlb_restructure_folio to the huge order: the pieces are one folio again, with the
 * head's page-cache reference. */
function mergeFolio(k: Kernel, t: State): void {
  const head = k.frameOf(t, 0);
  t[k.v.folioSplit] = 0;
  for (let i = 1; i < k.config.scenario.hugeFolio; i++) t[k.v.refPageCache + head + i] = 0;
}

/** The [start, end) of pages of a range mask, as guest_memfd's functions take it. */
export function rangeArgs(range: number): { start: number; end: number } {
  const start = range ? 31 - Math.clz32(range & -range) : 0;
  return { start, end: 32 - Math.clz32(range) };
}

export function rangeText(k: Kernel, range: number): string {
  const gfns: number[] = [];
  for (let g = 0; g < k.gfns; g++) if (range & (1 << g)) gfns.push(g);
  return gfns.join(',');
}
