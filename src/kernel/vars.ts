import type { KernelConfig } from './config.js';
import type { ModuleVersion } from './module.js';
import type { State } from '../engine/index.js';
import type { Switches } from './trees.js';
import { folioSlots, frameCount, slotGfn } from './frames.js';
import {
  invalidationLabels,
  INV_IDLE,
  splitLabels,
  labelValues,
  vcpuLabels,
  VMM_DONE,
  vmmLabels,
} from './programs.js';

/** A variable's domain: the values it may take in a reachable state, for the scenario (and
 * the number of status codes, which seam.ts keeps). */
type Domain = (config: KernelConfig, statuses: number) => readonly number[];
/** 0..n */
const upTo = (n: number): number[] => Array.from({ length: n + 1 }, (_, i) => i);
const flag: Domain = () => [0, 1];
const of =
  (n: number): Domain =>
  () =>
    upTo(n - 1);
const status: Domain = (_, statuses) => upTo(statuses - 1);
const gfn: Domain = (c) => upTo(c.scenario.gfns - 1);
const frame: Domain = (c) => upTo(frameCount(c.scenario) - 1);
const age: Domain = () => [0, 1, 2];

/**
 * The variables of the system, each a small integer: the model's vocabulary. A scalar is one
 * variable; a per-GFN, per-frame or per-vCPU field is `base + index`. A GFN's frame is
 * `frameOf` (frames.ts).
 *
 * A variable that no step of the scenario can change (a fault budget of 0, the references of
 * a feature the scenario does not use) is not part of the state: it reads as 0 from a block
 * of zeroes that nothing writes. The state is smaller, so every state costs less to copy, hash
 * and keep.
 */
export class Vars {
  readonly names: string[] = [];
  /** Each variable's domain (TLA+'s TypeOK), declared with it: see `outsideDomain`. */
  private readonly domainOf: Domain[] = [];
  readonly domains: (readonly number[])[];
  /** base of the block of zeroes the unused variables read */
  readonly zero: number;

  // The TDX module's per-TD state (seam)
  readonly tdOpState = this.scalar('td.op_state', of(2)); // TD_OP_INITIALIZED or TD_OP_RUNNABLE
  readonly tdLifecycle = this.scalar('td.lifecycle', of(3)); // TD_KEYS_CONFIGURED, TD_BLOCKED, TD_TEARDOWN
  readonly tdr = this.scalar('td.tdr', of(3)); // TDR_LIVE, TDR_RECLAIMED, TDR_LEAKED

  // KVM (kvm_main.c, tdx.c)
  readonly vmBugged = this.scalar('kvm.vm_bugged', flag);
  readonly waitForSeptZap = this.scalar('kvm.wait_for_sept_zap', flag);
  readonly vcpusStopped = this.scalar('vmm.vcpus_stopped', flag);
  readonly vmFd = this.scalar('kvm.vm_fd', flag); // VM_FD_OPEN or VM_FD_CLOSED
  /** tdx_vm_state_guard held (kvm->lock, every vcpu->mutex, slots_lock): series-v3's
   * INIT_MEM_REGION */
  readonly vmStateGuard: number;
  readonly mmuLock = this.scalar('kvm.mmu_lock', (c) => [...upTo(c.scenario.vcpus), MMU_WRITER]); // readers, or MMU_WRITER
  readonly invalidateInProgress = this.scalar('kvm.mmu_invalidate_in_progress', (c) =>
    upTo(c.faults['memory-failure'] ? 2 : 1),
  );

  // guest_memfd
  readonly filemapLock = this.scalar('gmem.invalidate_lock', () => [0, LOCK_EXCLUSIVE]); // readers, or LOCK_EXCLUSIVE
  readonly gmemFile = this.scalar('gmem.file', of(3)); // GMEM_OPEN, GMEM_RELEASED, GMEM_EVICTED
  readonly folioSplit: number;
  /** per folio slot: the first frame of the block backing it (frames.ts), where the scenario
   * has spare blocks to reallocate onto */
  readonly folioBlock: number;
  /** folios can move between blocks (the scenario has spare blocks): frameOf reads folioBlock */
  readonly blocksMove: boolean;
  /** where folios move: per GFN, 1 + the frame its 4K S-EPT entry maps (0: none recorded),
   * and per huge range 1 + the first frame of the block its 2M leaf maps (seam.ts mappedFrame,
   * docs/plans/huge-pages.md 5.2 `sept2m_block`) */
  readonly septFrame: number;
  readonly sept2mBlock: number;

  // mm
  readonly refUnderflow = this.scalar('mm.refcount_underflow', flag);

  // Fault budgets left
  readonly budgetRemoveFails: number;
  readonly budgetBlockFails: number;
  readonly budgetBusy: number;
  readonly budgetTransient: number;
  readonly budgetMemoryFailure: number;
  readonly budgetRetryFails: number;
  readonly budgetWbinvdFails: number;
  readonly budgetAddFails: number;
  readonly budgetDemoteFails: number;

  // Per GFN / frame
  readonly attr: number; // guest_memfd per-index state: ATTR_PRIVATE or ATTR_SHARED
  readonly present: number; // folio in guest_memfd's filemap
  readonly spte: number; // mirror SPTE: SPTE_NONE, SPTE_FROZEN, SPTE_PRESENT
  readonly sept: number; // S-EPT leaf state
  readonly blockAge: number; // TRACKs since the entry was blocked (saturating at 2)
  readonly pamt: number; // PT_NDA or PT_REG
  readonly owner: number; // OWNER_FREE, OWNER_GMEM, OWNER_HOST
  readonly dirty: number; // dirty cache lines under the TD's HKID
  readonly poison: number; // HWPOISON
  readonly marked: number; // a policy's mark on the page (page-flag: a page flag; unmap-error: the unmap failed; reclaim-after-teardown: 1 on its list, 2 listed to flush only)
  readonly content: number; // CONTENT_*: what the frame holds
  readonly tdBit: number; // lines written under the TD's HKID, not reset with MOVDIR64B since
  readonly guestData: number; // the guest wrote data it expects to read back
  readonly accepted: number; // the guest believes it accepted the page
  readonly premapped: number; // counted in nr_premapped: mirror SPTE set, not yet ADDed (v6.17)
  // reference holders, by kind; the folio refcount is their sum
  readonly refPageCache: number;
  readonly refPin: number;
  readonly refTransient: number;
  readonly refUserMap: number;
  readonly refGup: number;
  readonly refHwpoison: number;

  // The PAMT's 2M entries, per PAMT block (a 2M physical range of frames: `pamtBlockOf`), where
  // the run has them: per huge block under 2M leaves, one block of every frame with Dynamic PAMT
  /** how many PAMT blocks the state has (0: none) */
  readonly pamtBlockCount: number;
  /** Dynamic PAMT under 2M leaves: the block of the kernel's own pages given to the module (the
   * S-EPT table pages), the last block; else -1 */
  readonly kernelBlock: number;
  readonly pamt2m: number; // the block's 2M PAMT entry: PT_NDA, PT_REG (a 2M TD page) or PT_PAMT (module 2.0: a node over a page pair)
  // Dynamic PAMT (module 2.0 only), per PAMT block (tdx_pamt.ts)
  readonly pamtPair: number; // the pair's pages: PAIR_FREE (the allocator's) or PAIR_MODULE
  readonly pamtRef: number; // the kernel's refcount of the block (tdx_pamt_get/put)
  // Per huge range (GFNs r*N .. r*N+N-1, N = the scenario's huge folio pages, standing for the
  // 512 of a 2M page) on a tree with 2M leaves; elsewhere the S-EPT tables are implicit
  /** how many ranges have a 2M S-EPT entry of their own (0: none, the 4K-only model) */
  readonly hugeRanges: number;
  readonly sept2m: number; // the range's S-EPT entry at the 2M level: SEPT_* or SEPT_NL_MAPPED
  readonly blockAge2m: number; // TRACKs since the 2M entry was blocked (saturating at 2)
  readonly table: number; // the range's S-EPT table page (for its 4K leaves): TABLE_*
  readonly mirror2m: number; // KVM's mirror at the range's 2M level: MIRROR_*
  readonly acceptFallback: number; // the guest's 2M ACCEPT of the range failed: it accepts at 4K
  readonly faultLevel: number; // per vCPU: its fault maps at 2M (kvm_tdp_mmu_map chose the level)
  readonly guestInhibit: number; // the range's GUEST_INHIBIT: a guest accepted part of it at 4K, one way
  readonly acceptSplitPc: number; // per vCPU: tdx_honor_guest_accept_level's split (split labels, programs.ts)
  readonly acceptSplitGfn: number; // per vCPU: the GFN whose 2M leaf that split is splitting

  // Per vCPU
  readonly inGuest: number;
  readonly entryAge: number; // TRACKs since the vCPU entered (saturating at 2)
  readonly vcpuPc: number;
  readonly faultGfn: number;
  readonly faultStale: number; // an invalidation began since the fault read mmu_invalidate_seq
  readonly faultRef: number; // holds the reference kvm_gmem_get_pfn returned
  readonly need: number; // 1 + GFN of the access the guest is waiting to complete, or 0
  readonly vcpuStatus: number;

  // The VMM's script and the memory-failure handler, each an invalidating process
  readonly vmmOp = this.scalar('vmm.op', (c) =>
    c.scenario.vmm === 'any'
      ? [...upTo(c.scenario.ops.length), VMM_DONE]
      : upTo(c.scenario.ops.length),
  );
  readonly vmmPc = this.scalar('vmm.pc', () => labelValues(vmmLabels));
  readonly vmmCursor = this.scalar('vmm.gfn', gfn);
  readonly vmmStatus = this.scalar('vmm.status', status);
  readonly mfPc: number;
  readonly mfCursor: number;
  readonly mfTarget: number;
  readonly mfStatus: number;

  readonly size: number;
  /** frames of physical memory (frames.ts) */
  readonly frameCount: number;
  /** each array field's length, by base: what `frames` covers */
  private readonly lengths = new Map<number, number>();

  /** `statuses`: how many status codes there are (seam.ts's table). */
  constructor(
    readonly config: KernelConfig,
    statuses: number,
    tree: Switches,
    module: ModuleVersion = '1.5',
  ) {
    const { gfns, vcpus, ops, hugeFolio } = config.scenario;
    const { faults } = config;
    const frames = (this.frameCount = frameCount(config.scenario));
    this.zero = this.array('zero', frames, () => [0]);
    const budget = (kind: keyof typeof faults) =>
      faults[kind] ? this.scalar(`fault.${kind}`, () => upTo(faults[kind] ?? 0)) : this.zero;
    const converts = ops.some((op) => op.op === 'to-shared' || op.op === 'to-private');
    const gup = ops.some((op) => op.op === 'gup');
    const memoryFailure = !!faults['memory-failure'];
    this.budgetRemoveFails = budget('remove-fails');
    this.budgetBlockFails = budget('block-fails');
    this.budgetBusy = budget('busy');
    this.budgetTransient = budget('transient-refs');
    this.budgetMemoryFailure = budget('memory-failure');
    this.budgetRetryFails = budget('retry-fails');
    this.budgetWbinvdFails = budget('wbinvd-fails');
    this.budgetAddFails = budget('add-fails');
    this.budgetDemoteFails = budget('demote-fails');
    const populates = ops.some((op) => op.op === 'init-mem');
    this.vmStateGuard =
      populates && tree.vmStateGuard ? this.scalar('kvm.vm_state_guard', flag) : this.zero;
    this.folioSplit = hugeFolio > 1 ? this.scalar('gmem.huge_folio_split', flag) : this.zero;
    this.blocksMove = !!config.scenario.spareBlocks;
    this.folioBlock = this.blocksMove
      ? this.array('folio.block', folioSlots(config.scenario), frame)
      : this.zero;
    this.septFrame = this.blocksMove
      ? this.array('sept.frame', gfns, () => upTo(frames))
      : this.zero;
    this.mfPc = memoryFailure
      ? this.scalar('memory_failure.pc', () => [INV_IDLE, ...labelValues(invalidationLabels)])
      : this.zero;
    this.mfCursor = memoryFailure ? this.scalar('memory_failure.gfn', gfn) : this.zero;
    this.mfTarget = memoryFailure ? this.scalar('memory_failure.frame', frame) : this.zero;
    this.mfStatus = memoryFailure ? this.scalar('memory_failure.status', status) : this.zero;
    this.attr = converts ? this.array('attr', gfns, flag) : this.zero; // conversions alone change it
    this.present = this.array('present', gfns, flag);
    this.spte = this.array('spte', gfns, of(3));
    this.sept = this.array('sept', gfns, of(5));
    this.blockAge = this.array('block_age', gfns, age);
    this.pamt = this.array('pamt', frames, flag);
    this.owner = this.array('owner', frames, of(3));
    this.dirty = this.array('dirty', frames, flag);
    this.poison = this.array('poison', frames, flag);
    this.marked = this.array('marked', frames, of(3));
    this.content = this.array('content', frames, of(3));
    this.tdBit = this.array('td_bit', frames, flag);
    this.guestData = this.array('guest_data', gfns, flag);
    this.accepted = this.array('accepted', gfns, flag);
    this.premapped =
      populates && tree.addPath === 'premap' ? this.array('premapped', gfns, flag) : this.zero;
    this.refPageCache = this.array('ref.page_cache', frames, flag);
    this.refPin = this.array('ref.pin', frames, flag);
    this.refTransient = faults['transient-refs']
      ? this.array('ref.transient', frames, () => upTo(faults['transient-refs'] ?? 0))
      : this.zero;
    this.refUserMap = gup ? this.array('ref.user_map', frames, flag) : this.zero; // the VMM's mmap for GUP
    this.refGup = gup
      ? this.array('ref.gup', frames, (c) =>
          upTo(c.scenario.ops.filter((op) => op.op === 'gup').length),
        )
      : this.zero;
    this.refHwpoison = memoryFailure ? this.array('ref.hwpoison', frames, flag) : this.zero;
    const dpamt = module === '2.0';
    this.hugeRanges = tree.hugeLeaves && hugeFolio > 1 ? Math.ceil(gfns / hugeFolio) : 0;
    // Dynamic PAMT under 2M leaves: one more block, K, for the S-EPT table pages (their own 2M
    // range, so SEPT.ADD and DEMOTE need K's pair: huge-pages.md 5.2; one range for every
    // kernel page is our simplification)
    const kernelPages = dpamt && this.hugeRanges ? 1 : 0;
    this.pamtBlockCount = this.hugeRanges
      ? Math.ceil(frames / hugeFolio) + kernelPages
      : dpamt
        ? 1
        : 0;
    this.kernelBlock = kernelPages ? this.pamtBlockCount - 1 : -1;
    const blocks = (name: string, domain: Domain) =>
      this.pamtBlockCount ? this.array(name, this.pamtBlockCount, domain) : this.zero;
    this.pamt2m = blocks('pamt2m', () =>
      dpamt ? (this.hugeRanges ? [PT_NDA, PT_REG, PT_PAMT] : [PT_NDA, PT_PAMT]) : [PT_NDA, PT_REG],
    );
    this.pamtPair = dpamt ? blocks('pamt_pair', flag) : this.zero;
    this.pamtRef = dpamt
      ? blocks('dpamt_refcount', (c) => upTo(c.scenario.gfns + c.scenario.vcpus))
      : this.zero;
    const ranges = (name: string, domain: Domain) =>
      this.hugeRanges ? this.array(name, this.hugeRanges, domain) : this.zero;
    this.sept2mBlock = this.blocksMove ? ranges('sept2m.block', () => upTo(frames)) : this.zero;
    this.sept2m = ranges('sept2m', of(6));
    this.blockAge2m = ranges('block_age2m', age);
    this.table = ranges('table', of(5));
    this.mirror2m = ranges('mirror2m', of(5));
    this.acceptFallback = ranges('guest.accept_4k', flag);
    this.faultLevel = this.hugeRanges ? this.array('fault.level_2m', vcpus, flag) : this.zero;
    this.guestInhibit = ranges('guest_inhibit', flag);
    this.acceptSplitPc = this.hugeRanges
      ? this.array('accept.split_pc', vcpus, () => [INV_IDLE, ...labelValues(splitLabels)])
      : this.zero;
    this.acceptSplitGfn = this.hugeRanges ? this.array('accept.split_gfn', vcpus, gfn) : this.zero;
    this.inGuest = this.array('in_guest', vcpus, flag);
    this.entryAge = this.array('entry_age', vcpus, age);
    this.vcpuPc = this.array('vcpu.pc', vcpus, () => labelValues(vcpuLabels));
    this.faultGfn = this.array('fault.gfn', vcpus, gfn);
    this.faultStale = this.array('fault.stale', vcpus, flag);
    this.faultRef = this.array('fault.ref', vcpus, flag);
    this.need = this.array('guest.need', vcpus, (c) => upTo(c.scenario.gfns));
    this.vcpuStatus = this.array('vcpu.status', vcpus, status);
    this.size = this.names.length;
    this.domains = this.domainOf.map((d) => d(config, statuses));
  }

  /** The state's initial values where they are not 0: each folio on its own block. */
  initial(s: State): void {
    const c = this.config.scenario;
    if (this.folioBlock === this.zero) return;
    for (let i = 0; i < folioSlots(c); i++) s[this.folioBlock + i] = slotGfn(c, i);
  }

  /** TypeOK: the first variable outside its domain in `s` ("name = value"), or undefined. */
  outsideDomain(s: Uint8Array): string | undefined {
    for (let i = 0; i < this.size; i++) {
      if (!this.domains[i]!.includes(s[i]!)) return `${this.names[i]} = ${s[i]}`;
    }
    return undefined;
  }

  /** For footprints: every element of each per-GFN, per-frame or per-slot field. A field this
   * scenario leaves out (it reads the block of zeroes) is nothing. */
  frames(...fields: number[]): number[] {
    return fields
      .filter((f) => f !== this.zero)
      .flatMap((f) => Array.from({ length: this.lengths.get(f)! }, (_, i) => f + i));
  }

  /** For footprints: every vCPU's variable of each per-vCPU field. */
  vcpuFields(...fields: number[]): number[] {
    const n = this.config.scenario.vcpus;
    return fields.flatMap((f) => Array.from({ length: n }, (_, c) => f + c));
  }

  /** Does vCPU c's fault map at 2M? (Never without 2M leaves: its variable is then the block
   * of zeroes, which may be shorter than the vCPUs.) */
  faultAt2m(s: State, c: number): boolean {
    return this.hugeRanges > 0 && s[this.faultLevel + c] === 1;
  }

  /** For footprints: every huge range's variable of each per-range field (none without 2M
   * leaves). */
  ranges(...fields: number[]): number[] {
    return fields
      .filter((f) => f !== this.zero)
      .flatMap((f) => Array.from({ length: this.hugeRanges }, (_, r) => f + r));
  }

  /** The PAMT block (2M entry) of `frame`: under 2M leaves its huge block (frames b*N ..
   * b*N+N-1, N-aligned as HugeTLB allocates them), else the one block of every frame (Dynamic
   * PAMT without 2M leaves: our simplification, all frames in one 2M physical range). */
  pamtBlockOf(frame: number): number {
    return this.hugeRanges ? Math.floor(frame / this.config.scenario.hugeFolio) : 0;
  }

  /** For footprints: every PAMT block's variable of each per-block field. */
  pamtBlocks(...fields: number[]): number[] {
    return fields
      .filter((f) => f !== this.zero)
      .flatMap((f) => Array.from({ length: this.pamtBlockCount }, (_, b) => f + b));
  }

  /** For footprints: the S-EPT's records of the frames it maps (none where folios stay put). */
  get septRecords(): number[] {
    return [...this.frames(this.septFrame), ...this.ranges(this.sept2mBlock)];
  }

  /** For footprints: scalars, less those this scenario leaves out. */
  scalars(...vars: number[]): number[] {
    return vars.filter((x) => x < this.zero || x >= this.zero + this.frameCount);
  }

  private scalar(name: string, domain: Domain): number {
    this.names.push(name);
    this.domainOf.push(domain);
    return this.names.length - 1;
  }

  private array(name: string, n: number, domain: Domain): number {
    const base = this.names.length;
    this.lengths.set(base, n);
    for (let i = 0; i < n; i++) {
      this.names.push(`${name}[${i}]`);
      this.domainOf.push(domain);
    }
    return base;
  }
}

// Values of the variables above.
export const TD_OP_INITIALIZED = 0;
export const TD_OP_RUNNABLE = 1;
export const TD_KEYS_CONFIGURED = 0;
export const TD_BLOCKED = 1;
export const TD_TEARDOWN = 2;
export const VM_FD_OPEN = 0;
export const VM_FD_CLOSED = 1;
export const GMEM_OPEN = 0;
export const GMEM_RELEASED = 1; // kvm_gmem_release ran: unbound, its folios still in the inode
export const GMEM_EVICTED = 2; // the inode was evicted: its folios dropped
export const TDR_LIVE = 0;
export const TDR_RECLAIMED = 1;
export const TDR_LEAKED = 2;
export const MMU_WRITER = 255;
export const LOCK_EXCLUSIVE = 255;
export const ATTR_PRIVATE = 0;
export const ATTR_SHARED = 1;
export const SPTE_NONE = 0;
export const SPTE_FROZEN = 1;
export const SPTE_PRESENT = 2;
export const PT_NDA = 0;
export const PT_REG = 1;
/** A 2M PAMT entry that is a node pointing at a 4K page pair (module 2.0, pamt_manager.c) */
export const PT_PAMT = 2;
export const PAIR_FREE = 0;
export const PAIR_MODULE = 1;
// table[r]: the S-EPT table page of a range, as KVM and the module see it
export const TABLE_NONE = 0; // no table: KVM has not linked one
export const TABLE_EPT = 1; // given to the module (SEPT.ADD or DEMOTE): PAMT PT_EPT, counted in the TDR
export const TABLE_ORPHAN = 2; // KVM's mirror links it, the module never took it (a failed DEMOTE): PT_NDA
export const TABLE_FREED = 3; // reclaimed after HKID release and freed
export const TABLE_LEAKED = 4; // KVM gave up on it (handle_removed_pt leaks a table it cannot free)
// mirror2m[r]: the mirror (KVM's copy of the S-EPT) at a range's 2M level
export const MIRROR_NONE = 0; // nothing: no leaf, no table linked
export const MIRROR_LEAF = 1; // a 2M leaf: the range's 4K SPTEs read as present
export const MIRROR_TABLE = 2; // a table of 4K SPTEs
export const MIRROR_ZAP = 3; // the 2M leaf was zapped from the mirror; TDX is removing it
export const MIRROR_SPLIT = 4; // the 2M leaf is being split (tdx_sept_split_private_spte)
export const OWNER_FREE = 0;
export const OWNER_GMEM = 1;
export const OWNER_HOST = 2;
export const CONTENT_STALE = 0; // zeroes or old bytes, nobody's data
export const CONTENT_GUEST = 1;
export const CONTENT_HOST = 2;
