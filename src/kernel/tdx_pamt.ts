/**
 * The kernel's Dynamic PAMT refcounting (arch/x86/virt/vmx/tdx/tdx.c tdx_pamt_get and
 * tdx_pamt_put) as hugepage-v3's base has it: Dynamic PAMT v4 07/16 with 08/16's optimisation
 * ("x86/virt/tdx: Optimize tdx_alloc/free_page() helpers", Kirill Shutemov / Rick Edgecombe,
 * 2025-11-20; docs/plans/huge-pages-check.md, "S9 DPAMT v4 bodies"). Per 2M physical range a
 * refcount of the 4K pages the kernel gave the TDX module there:
 * - get: increment unless zero, lockless; else, a candidate pair allocated, under the global
 *   pamt_lock: non-zero now (a racing get won) -> increment; else TDH.PHYMEM.PAMT.ADD: success
 *   -> 1; TDX_HPA_RANGE_NOT_FREE -> 1 (a put dropped the count to 0 and has not removed the pair
 *   yet); any other error: pr_err, the count stays 0 and get returns 0 all the same.
 * - put: decrement-and-test, lockless; not 0: done. Else under pamt_lock: non-zero now (a get
 *   raced) -> done; else TDH.PHYMEM.PAMT.REMOVE: success -> the pair freed; failure -> the count
 *   incremented back, the pair kept, pr_err (08/16, Message-ID
 *   20251121005125.417831-9-rick.p.edgecombe@intel.com, read).
 * KVM's callers (v4 13/16, 14/16; [hp-v3] 17/24): get before a 4K AUG or ADD and put when it
 * fails (BUSY included); put after a 4K removal's REMOVE, WBINVD and page reset all succeeded
 * (an earlier failure returns first: the reference stays, K7).
 *
 * Steps (tdx_pamt_steps.ts): a get is one step: its lockless try changes nothing when it fails, and its locked part
 * runs at a count of 0, where no lockless path of another can change the count (a put at 0
 * would underflow). A put is two: the decrement, then the locked part, between which another
 * vCPU's get and put can run: the window of the v4 race (docs/huge-pages.md). A put under
 * mmu_lock held for write (the zap) is one step: every fault path's get and put run under
 * read mmu_lock, so none is in flight.
 *
 * Our simplifications: without 2M leaves one 2M range holds every frame of the scenario (vars.ts
 * pamtBlockOf);
 * the kernel's own pages (TDR, TDCS, TDVPR, S-EPT tables) and their DPAMT references are not
 * modelled; the candidate pair's allocation cannot fail (-ENOMEM).
 */
import type { State } from '../engine/index.js';
import type { Mutation } from './config.js';
import { S, type Seam } from './seam.js';
import { PAIR_FREE, PAIR_MODULE, type Vars } from './vars.js';

export class TdxPamt {
  constructor(
    private readonly v: Vars,
    private readonly seam: Seam,
    private readonly mutated: (m: Mutation) => boolean,
  ) {}

  /** The variables a get or put may write, and read besides. */
  get writes(): number[] {
    const v = this.v;
    return v.pamtBlocks(v.pamt2m, v.pamtPair, v.pamtRef);
  }
  get reads(): number[] {
    return [...this.v.frames(this.v.pamt), ...this.v.ranges(this.v.table)];
  }

  /** tdx_pamt_get of a page in PAMT block r (vars.ts pamtBlockOf; kernelBlock for an S-EPT
   * table page): the PAMT.ADD status, if it made one. */
  get(t: State, r: number): number | undefined {
    const v = this.v;
    if (t[v.pamtRef + r]! > 0) {
      t[v.pamtRef + r]!++;
      return undefined;
    }
    return this.add(t, r);
  }

  /** The locked slow path's PAMT.ADD at a count of 0 (v4 08/16); alone, without the lock, for
   * the mutation pamt-unlocked (tdx_pamt_steps.ts). */
  add(t: State, r: number): number {
    const v = this.v;
    const st = this.seam.pamtAdd(t, r);
    if (st === S.SUCCESS) t[v.pamtPair + r] = PAIR_MODULE;
    // success, or a pair still installed by a put not yet locked: the count is 1; any other
    // error leaves it 0 and returns 0 (v6 06/11 later made that -EIO)
    if (st === S.SUCCESS || st === S.HPA_RANGE_NOT_FREE) t[v.pamtRef + r] = 1;
    return st;
  }

  /** tdx_pamt_put's lockless decrement: did the count reach 0 (the locked part follows)? */
  putDecrement(t: State, r: number): boolean {
    const v = this.v;
    return --t[v.pamtRef + r]! === 0;
  }

  /** tdx_pamt_put's locked part: the PAMT.REMOVE status, if it made one. */
  putLocked(t: State, r: number): number | undefined {
    const v = this.v;
    if (t[v.pamtRef + r]! > 0) return undefined; // a get raced
    const st = this.seam.pamtRemove(t, r);
    if (st === S.SUCCESS || this.mutated('pamt-free-despite-remove-error')) {
      t[v.pamtPair + r] = PAIR_FREE;
    } else {
      t[v.pamtRef + r]!++; // the optimistic decrement reverted, the pair kept
    }
    return st;
  }

  /** A whole tdx_pamt_put of a page in block r, under mmu_lock held for write (or at
   * teardown, where nothing else runs). */
  put(t: State, r: number): number | undefined {
    return this.putDecrement(t, r) ? this.putLocked(t, r) : undefined;
  }
}
