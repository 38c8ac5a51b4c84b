/* The TDX system's `contention` scenario for SPIN, widened to VCPUS vCPUs (2 to 4; -DVCPUS=n):
 * every vCPU's guest touches GFN 0 while the VMM punches it out and then tears the VM down,
 * with one TDX_OPERAND_BUSY in the fault budget and the nopin policy. It has the state space
 * septcheck's model has for it (src/kernel; bench/contention4.ts builds the same scenario):
 * - each step of the model is one d_step whose first statement is its guard, and a step with
 *   several outcomes (the SEAMCALL's own answer, or an injected BUSY) is one option per outcome;
 * - the variables have the model's names and values (src/kernel/vars.ts, seam.ts statuses);
 * - the model's variables that this scenario never changes are left out: the TD's op state
 *   (RUNNABLE: there is no finalize), the page's attribute (private: no conversion), HWPOISON,
 *   the policy mark, the pin/transient/GUP/user-map/hwpoison references, the huge-folio split,
 *   the fault GFN and zap cursor (there is one GFN), the other fault budgets and memory failure;
 * - the invariants are asserted after every step (septcheck checks each new state).
 * Each comment names the model's step, whose source has the kernel file and the facts cited. */

#ifndef VCPUS
#define VCPUS 4
#endif
#if VCPUS == 2
#define EVERY(p) (p(0) && p(1))
#define SUM(f) (f(0) + f(1))
#elif VCPUS == 3
#define EVERY(p) (p(0) && p(1) && p(2))
#define SUM(f) (f(0) + f(1) + f(2))
#elif VCPUS == 4
#define EVERY(p) (p(0) && p(1) && p(2) && p(3))
#define SUM(f) (f(0) + f(1) + f(2) + f(3))
#endif
#define ANY(p) (!EVERY(p))

/* statuses (src/kernel/seam.ts: the index of each in its table) */
#define SUCCESS 1
#define BUSY 2
#define BUSY_EPOCH 3
#define STATE_INCORRECT 4
#define NOT_BLOCKED 5
#define ALREADY_BLOCKED 6
#define TRACKING_NOT_DONE 7
#define EPOCH_BUSY 8
#define METADATA_INCORRECT 10
#define PAGES_EXIST 12
#define LIFECYCLE_INCORRECT 14
#define KEYS_NOT_CONFIGURED 15
#define EIO 25
#define RETRY 27

/* values (src/kernel/vars.ts, seam.ts) */
#define KEYS_CONFIGURED 0
#define TEARDOWN 2
#define TDR_RECLAIMED 1
#define TDR_LEAKED 2
#define EXCLUSIVE 255
#define WRITER 255
#define SPTE_NONE 0
#define SPTE_FROZEN 1
#define SPTE_PRESENT 2
#define SEPT_FREE 0
#define SEPT_PENDING 1
#define SEPT_MAPPED 2
#define SEPT_BLOCKED 3
#define SEPT_PENDING_BLOCKED 4
#define PT_NDA 0
#define PT_REG 1
#define OWNER_FREE 0
#define OWNER_GMEM 1
#define OWNER_HOST 2
#define CONTENT_STALE 0
#define CONTENT_GUEST 1
#define CONTENT_HOST 2

/* a vCPU's fault path (src/kernel/tdp_mmu.ts) */
#define IDLE 0
#define FAULT_PFN 1
#define FAULT_MAP 2
#define FAULT_SEAMCALL 3
#define FAULT_FINISH 4

/* the VMM: its script (punch-hole, teardown) and program counter (invalidation.ts, vmm.ts) */
#define OP_PUNCH_HOLE 0
#define OP_TEARDOWN 1
#define VMM_START 0
#define INV_LOCK 1
#define INV_BEGIN 2
#define ZAP_BLOCK 3
#define ZAP_BLOCK_RETRY 4
#define ZAP_TRACK 5
#define ZAP_KICK 6
#define ZAP_REMOVE 7
#define ZAP_REMOVE_RETRY 8
#define ZAP_WBINVD 9
#define INV_MMU_UNLOCK 10
#define INV_WORK 11
#define INV_END 12
#define ZAP_TRACK_RETRY 13
#define VMM_STOP_VCPUS 20
#define VMM_WAIT_VCPUS 21
#define VMM_RELEASE_HKID 22
#define VMM_RECLAIM 23
#define VMM_CLOSE 24
#define VMM_PUT_KVM 25
#define VMM_EVICT 26
#define GMEM_OPEN 0
#define GMEM_RELEASED 1
#define GMEM_EVICTED 2

/* the TD, KVM, guest_memfd and mm */
byte td_lifecycle;
byte td_tdr;
byte vm_bugged;
byte wait_for_sept_zap;
byte vcpus_stopped;
byte vm_fd;      /* 0 open, 1 closed */
byte gmem_file;  /* GMEM_OPEN, GMEM_RELEASED, GMEM_EVICTED */
byte mmu_lock;
byte mmu_invalidate_in_progress;
byte invalidate_lock;
byte refcount_underflow;
byte budget_busy = 1;
/* the one page: GFN 0, guest_memfd index 0, frame 0 */
byte present;
byte spte;
byte sept;
byte block_age;
byte pamt;
byte owner;
byte dirty;
byte content;
byte td_bit;
byte guest_data;
byte accepted;
byte ref_page_cache;
/* per vCPU */
byte in_guest[VCPUS];
byte entry_age[VCPUS];
byte vcpu_pc[VCPUS];
byte fault_stale[VCPUS];
byte fault_ref[VCPUS];
byte need[VCPUS];
byte vcpu_status[VCPUS];
/* the VMM */
byte vmm_op;
byte vmm_pc = INV_LOCK;
byte vmm_status;

hidden byte c;   /* loop index inside one step: not part of the state */
hidden byte st;  /* a SEAMCALL's status inside one step */

#define NEEDS_NOTHING(i) (need[i] == 0)
#define OUT_OF_KVM_RUN(i) (vcpu_pc[i] == IDLE && !in_guest[i])
#define NOT_IN_GUEST(i) (!in_guest[i])
#define NOT_IN_OLD_EPOCH(i) (!in_guest[i] || entry_age[i] != 1)
#define NOT_IN_PREVIOUS_EPOCH(i) (!in_guest[i] || entry_age[i] < 1)
#define FAULT_REF(i) fault_ref[i]

/* properties.ts, for one page whose attribute stays private and that nobody maps or pins
 * (so no-private-and-shared-at-once cannot fail and is left out) */
#define FOLIO_REFS (ref_page_cache + SUM(FAULT_REF))
#define VMM_DONE (vmm_op >= 2)
#define INVARIANTS \
  assert(owner != OWNER_HOST || td_lifecycle == TEARDOWN || (sept == SEPT_FREE && pamt != PT_REG)); \
  assert(owner != OWNER_HOST || (!dirty && !td_bit)); \
  assert(!refcount_underflow && (owner == OWNER_GMEM || (FOLIO_REFS == 0 && !present))); \
  assert(vm_bugged || !accepted || (sept != SEPT_PENDING && sept != SEPT_PENDING_BLOCKED && \
         !(sept == SEPT_MAPPED && guest_data && content != CONTENT_GUEST))); \
  assert(!VMM_DONE || (td_tdr == TDR_RECLAIMED && pamt != PT_REG && \
         !(owner == OWNER_GMEM && (present || FOLIO_REFS == 0))))

/* KVM_BUG_ON: the VM is dead and every vCPU kicked out (tdx.ts kvmBugOn, kickAll) */
inline kick_all() {
  for (c : 0 .. VCPUS - 1) { in_guest[c] = 0 }
}
inline kvm_bug_on() {
  vm_bugged = 1;
  kick_all()
}

/* mm.ts freeIfUnused: the last reference went and the folio left the page cache */
inline free_if_unused() {
  if
  :: owner == OWNER_GMEM && FOLIO_REFS == 0 && !present -> owner = OWNER_FREE
  :: else
  fi
}

/* the guest's access to its page (td_guest.ts canTouch/ready): `retry` is whether it waits on it */
#define VMM_HOLDS (vmm_op < 2 && vmm_pc != (vmm_op == OP_PUNCH_HOLE -> INV_LOCK : VMM_STOP_VCPUS))
#define TOUCH(retry) (in_guest[_pid] && !VMM_HOLDS && need[_pid] == retry)

inline exit_to_fault() {
  in_guest[_pid] = 0;
  need[_pid] = 1;
  vcpu_pc[_pid] = FAULT_PFN
}

/* TDG.MEM.PAGE.ACCEPT (seam.ts guestAccept) */
inline accept() {
  if
  :: sept == SEPT_MAPPED -> accepted = 1; need[_pid] = 0
  :: sept == SEPT_PENDING -> sept = SEPT_MAPPED; content = CONTENT_STALE; dirty = 1; td_bit = 1; accepted = 1; need[_pid] = 0
  :: else -> exit_to_fault()
  fi
}

/* truncate: the page cache drops the folio (guest_memfd.ts truncate) */
inline truncate_folio() {
  if
  :: present ->
     present = 0;
     if
     :: ref_page_cache == 0 -> refcount_underflow = 1
     :: else -> ref_page_cache--; free_if_unused()
     fi
  :: else
  fi
}

/* the guest writes its page */
inline write() {
  if
  :: sept == SEPT_MAPPED -> content = CONTENT_GUEST; guest_data = 1; dirty = 1; need[_pid] = 0
  :: else -> exit_to_fault()
  fi
}

/* TDH.MEM.RANGE.BLOCK (seam.ts rangeBlock) in tdx_sept_remove_private_spte (tdx.ts block) */
inline zap_block() {
  wait_for_sept_zap = 0;
  spte = SPTE_NONE;
  if
  :: td_lifecycle != KEYS_CONFIGURED -> st = KEYS_NOT_CONFIGURED
  :: sept == SEPT_BLOCKED || sept == SEPT_PENDING_BLOCKED -> st = ALREADY_BLOCKED
  :: sept == SEPT_MAPPED -> sept = SEPT_BLOCKED; block_age = 0; st = SUCCESS
  :: sept == SEPT_PENDING -> sept = SEPT_PENDING_BLOCKED; block_age = 0; st = SUCCESS
  :: else -> st = STATE_INCORRECT
  fi;
  vmm_status = st;
  if
  :: st == SUCCESS -> vmm_pc = ZAP_TRACK
  :: else -> kvm_bug_on(); vmm_pc = INV_MMU_UNLOCK
  fi
}

/* TDH.MEM.PAGE.REMOVE (seam.ts pageRemove, tlbTracked) (tdx.ts remove) */
inline zap_remove() {
  wait_for_sept_zap = 0;
  spte = SPTE_NONE;
  if
  :: td_lifecycle != KEYS_CONFIGURED -> st = KEYS_NOT_CONFIGURED
  :: sept == SEPT_FREE -> st = STATE_INCORRECT
  :: sept != SEPT_BLOCKED && sept != SEPT_PENDING_BLOCKED -> st = NOT_BLOCKED
  :: block_age == 0 || (block_age == 1 && ANY(NOT_IN_OLD_EPOCH)) -> st = TRACKING_NOT_DONE
  :: else -> sept = SEPT_FREE; pamt = PT_NDA; block_age = 0; st = SUCCESS
  fi;
  vmm_status = st;
  if
  :: st == SUCCESS -> vmm_pc = ZAP_WBINVD
  :: else -> kvm_bug_on(); vmm_pc = INV_MMU_UNLOCK
  fi
}

/* TDH.MEM.TRACK (seam.ts track) in tdx_track (tdx.ts): a failure is TDX_BUG_ON, then the kick */
inline zap_track() {
  wait_for_sept_zap = 0;
  if
  :: td_lifecycle != KEYS_CONFIGURED -> st = KEYS_NOT_CONFIGURED
  :: ANY(NOT_IN_PREVIOUS_EPOCH) -> st = EPOCH_BUSY
  :: else ->
     for (c : 0 .. VCPUS - 1) { if :: entry_age[c] < 2 -> entry_age[c]++ :: else fi };
     if :: block_age < 2 -> block_age++ :: else fi;
     st = SUCCESS
  fi;
  vmm_status = st;
  if :: st != SUCCESS -> kvm_bug_on() :: else fi;
  vmm_pc = ZAP_KICK
}

/* a vCPU may be entering (td_guest.ts tdMayEnter; tdx.ts vcpuMayBeEntering) */
#define IN_GUEST_OR_BUSY(i) (in_guest[i] || vcpu_pc[i] != IDLE)
#define MAY_ENTER (td_lifecycle == KEYS_CONFIGURED && !vm_bugged && !wait_for_sept_zap && !vcpus_stopped && ANY(IN_GUEST_OR_BUSY))

/* tdh_do_no_vcpus: BUSY (`status`) while another holder of the lock can exist; keep vCPUs
 * out, kick, retry once */
inline zap_busy(retry_pc, status) {
  budget_busy--;
  vmm_status = status;
  wait_for_sept_zap = 1;
  kick_all();
  vmm_pc = retry_pc
}

active [VCPUS] proctype vcpu() {
end:
  do
  /* tdx_vcpu_run: TDH.VP.ENTER */
  :: d_step {
       vcpu_pc[_pid] == IDLE && !in_guest[_pid] && td_lifecycle == KEYS_CONFIGURED && !vm_bugged && !wait_for_sept_zap && !vcpus_stopped ->
       in_guest[_pid] = 1; entry_age[_pid] = 0;
       INVARIANTS
     }
  /* TDG.MEM.PAGE.ACCEPT, first touch and retried after the fault */
  :: d_step { TOUCH(0) && !accepted -> accept(); INVARIANTS }
  :: d_step { TOUCH(1) && !accepted -> accept(); INVARIANTS }
  /* guest write (writing again what is written is skipped: no self-loop) */
  :: d_step {
       TOUCH(0) && accepted && !(sept == SEPT_MAPPED && guest_data && content == CONTENT_GUEST && dirty) ->
       write(); INVARIANTS
     }
  :: d_step { TOUCH(1) && accepted -> write(); INVARIANTS }
  /* TD exit (HLT or interrupt) */
  :: d_step { in_guest[_pid] && need[_pid] == 0 -> in_guest[_pid] = 0; INVARIANTS }
  /* kvm_mmu_faultin_pfn -> kvm_gmem_get_pfn: on series-v3, the tree this scenario runs on,
   * it takes no invalidate lock (src/kernel/trees.ts getPfnTakesInvalidateLock) */
  :: d_step {
       vcpu_pc[_pid] == FAULT_PFN &&
       (vm_bugged || mmu_invalidate_in_progress || present || owner == OWNER_FREE) ->
       fault_stale[_pid] = 0;
       if
       :: vm_bugged -> vcpu_status[_pid] = EIO; vcpu_pc[_pid] = IDLE; need[_pid] = 0
       :: else ->
          if
          :: mmu_invalidate_in_progress -> vcpu_status[_pid] = RETRY; vcpu_pc[_pid] = IDLE
          :: else ->
             if
             :: !present -> owner = OWNER_GMEM; present = 1; ref_page_cache = 1
             :: else
             fi;
             fault_ref[_pid] = 1; vcpu_status[_pid] = SUCCESS; vcpu_pc[_pid] = FAULT_MAP
          fi
       fi;
       INVARIANTS
     }
  /* kvm_tdp_mmu_map under read mmu_lock */
  :: d_step {
       vcpu_pc[_pid] == FAULT_MAP && mmu_lock != WRITER ->
       mmu_lock++;
       if
       :: fault_stale[_pid] || mmu_invalidate_in_progress || spte != SPTE_NONE ->
          vcpu_status[_pid] = RETRY; vcpu_pc[_pid] = FAULT_FINISH
       :: else -> spte = SPTE_FROZEN; vcpu_pc[_pid] = FAULT_SEAMCALL
       fi;
       INVARIANTS
     }
  /* tdx_sept_set_private_spte: TDH.MEM.PAGE.AUG (seam.ts pageAug) */
  :: d_step {
       vcpu_pc[_pid] == FAULT_SEAMCALL ->
       if
       :: td_lifecycle != KEYS_CONFIGURED -> st = KEYS_NOT_CONFIGURED
       :: sept != SEPT_FREE -> st = STATE_INCORRECT
       :: pamt != PT_NDA -> st = METADATA_INCORRECT
       :: else -> sept = SEPT_PENDING; pamt = PT_REG; st = SUCCESS
       fi;
       if
       :: st == SUCCESS -> spte = SPTE_PRESENT
       :: else -> kvm_bug_on(); spte = SPTE_NONE
       fi;
       vcpu_status[_pid] = st; vcpu_pc[_pid] = FAULT_FINISH;
       INVARIANTS
     }
  /* ... or TDX_OPERAND_BUSY: the SPTE is unfrozen and the fault retried */
  :: d_step {
       vcpu_pc[_pid] == FAULT_SEAMCALL && budget_busy > 0 ->
       budget_busy--; spte = SPTE_NONE; vcpu_status[_pid] = BUSY; vcpu_pc[_pid] = FAULT_FINISH;
       INVARIANTS
     }
  /* kvm_mmu_finish_page_fault: read_unlock, kvm_release_faultin_page */
  :: d_step {
       vcpu_pc[_pid] == FAULT_FINISH ->
       mmu_lock--; fault_ref[_pid] = 0; free_if_unused(); vcpu_pc[_pid] = IDLE; vcpu_status[_pid] = 0;
       INVARIANTS
     }
  od
}

active proctype vmm() {
end:
  do
  /* teardown: the VMM stops its vCPU threads once no access of the guest waits */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_STOP_VCPUS && (vm_bugged || EVERY(NEEDS_NOTHING)) ->
       vcpus_stopped = 1; kick_all();
       for (c : 0 .. VCPUS - 1) { need[c] = 0 };
       guest_data = 0; accepted = 0; vmm_pc = VMM_WAIT_VCPUS;
       INVARIANTS
     }
  /* kvm_vcpu_release: every vCPU out of KVM_RUN, then the VMM closes its files */
  :: d_step { vmm_op == OP_TEARDOWN && vmm_pc == VMM_WAIT_VCPUS && EVERY(OUT_OF_KVM_RUN) -> vmm_pc = VMM_CLOSE; INVARIANTS }
  /* close(vmfd): kvm_put_kvm, kvm_destroy_vm if guest_memfd is released (teardown.ts) */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_CLOSE && !vm_fd ->
       vm_fd = 1;
       if :: gmem_file != GMEM_OPEN -> vmm_pc = VMM_RELEASE_HKID :: else fi;
       INVARIANTS
     }
  /* close(guest_memfd): __fput -> kvm_gmem_release */
  :: d_step { vmm_op == OP_TEARDOWN && vmm_pc == VMM_CLOSE && gmem_file == GMEM_OPEN -> vmm_pc = INV_LOCK; INVARIANTS }
  /* filemap_invalidate_lock; a punch hole is the guest giving the page up */
  :: d_step {
       vmm_pc == INV_LOCK && invalidate_lock == 0 ->
       invalidate_lock = EXCLUSIVE; vmm_pc = INV_BEGIN; vmm_status = 0;
       if
       :: vmm_op != OP_TEARDOWN -> guest_data = 0; accepted = 0
       :: else
       fi;
       INVARIANTS
     }
  /* kvm_gmem_invalidate_begin: KVM_MMU_LOCK (write), kvm_mmu_invalidate_begin, first leaf */
  :: d_step {
       vmm_pc == INV_BEGIN && mmu_lock == 0 ->
       mmu_lock = WRITER; mmu_invalidate_in_progress++;
       for (c : 0 .. VCPUS - 1) { if :: vcpu_pc[c] == FAULT_MAP -> fault_stale[c] = 1 :: else fi };
       if
       :: spte != SPTE_NONE -> vmm_pc = ZAP_BLOCK
       :: else -> vmm_pc = INV_MMU_UNLOCK
       fi;
       INVARIANTS
     }
  /* tdx_sept_remove_private_spte: TDH.MEM.RANGE.BLOCK, or BUSY with a vCPU in the guest */
  :: d_step { vmm_pc == ZAP_BLOCK -> zap_block(); INVARIANTS }
  :: d_step { vmm_pc == ZAP_BLOCK && budget_busy > 0 && ANY(NOT_IN_GUEST) -> zap_busy(ZAP_BLOCK_RETRY, BUSY); INVARIANTS }
  :: d_step { vmm_pc == ZAP_BLOCK_RETRY -> zap_block(); INVARIANTS }
  /* tdx_track: TDH.MEM.TRACK, or BUSY on the epoch lock with a vCPU that may be entering */
  :: d_step { vmm_pc == ZAP_TRACK -> zap_track(); INVARIANTS }
  :: d_step { vmm_pc == ZAP_TRACK && budget_busy > 0 && MAY_ENTER -> zap_busy(ZAP_TRACK_RETRY, BUSY_EPOCH); INVARIANTS }
  :: d_step { vmm_pc == ZAP_TRACK_RETRY -> zap_track(); INVARIANTS }
  /* kvm_make_all_cpus_request(KVM_REQ_OUTSIDE_GUEST_MODE) */
  :: d_step { vmm_pc == ZAP_KICK -> kick_all(); vmm_pc = ZAP_REMOVE; INVARIANTS }
  /* TDH.MEM.PAGE.REMOVE, or BUSY */
  :: d_step { vmm_pc == ZAP_REMOVE -> zap_remove(); INVARIANTS }
  :: d_step { vmm_pc == ZAP_REMOVE && budget_busy > 0 && ANY(NOT_IN_GUEST) -> zap_busy(ZAP_REMOVE_RETRY, BUSY); INVARIANTS }
  :: d_step { vmm_pc == ZAP_REMOVE_RETRY -> zap_remove(); INVARIANTS }
  /* TDH.PHYMEM.PAGE.WBINVD, tdx_clear_page; the last leaf */
  :: d_step {
       vmm_pc == ZAP_WBINVD ->
       if
       :: pamt != PT_NDA -> vmm_status = METADATA_INCORRECT
       :: else -> dirty = 0; vmm_status = SUCCESS
       fi;
       content = CONTENT_STALE; td_bit = 0; vmm_pc = INV_MMU_UNLOCK;
       INVARIANTS
     }
  /* KVM_MMU_UNLOCK (write) */
  :: d_step { vmm_pc == INV_MMU_UNLOCK -> mmu_lock = 0; vmm_pc = INV_WORK; INVARIANTS }
  /* truncate_inode_pages_range: the page cache drops the folio; kvm_gmem_release unbinds
   * and truncates nothing */
  :: d_step {
       vmm_pc == INV_WORK ->
       if
       :: vmm_op == OP_TEARDOWN -> gmem_file = GMEM_RELEASED
       :: else -> truncate_folio()
       fi;
       vmm_pc = INV_END;
       INVARIANTS
     }
  /* kvm_gmem_invalidate_end; filemap_invalidate_unlock; the op ends */
  :: d_step {
       vmm_pc == INV_END && mmu_lock == 0 ->
       mmu_invalidate_in_progress--; invalidate_lock = 0;
       if
       :: vmm_op == OP_TEARDOWN -> vmm_pc = VMM_PUT_KVM; vmm_status = 0
       :: else -> vmm_op++; vmm_pc = VMM_STOP_VCPUS; vmm_status = 0
       fi;
       INVARIANTS
     }
  /* kvm_gmem_release's kvm_put_kvm: kvm_destroy_vm if the VM fd is closed */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_PUT_KVM ->
       if :: vm_fd -> vmm_pc = VMM_RELEASE_HKID :: else -> vmm_pc = VMM_EVICT fi;
       INVARIANTS
     }
  /* tdx_mmu_release_hkid: VPFLUSHDONE, CACHE.WB, KEY.FREEID (seam.ts releaseHkid) */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_RELEASE_HKID ->
       if
       :: td_lifecycle != KEYS_CONFIGURED -> vmm_status = KEYS_NOT_CONFIGURED
       :: else ->
          td_lifecycle = TEARDOWN;
          if :: dirty && owner == OWNER_HOST -> content = CONTENT_STALE :: else fi;
          dirty = 0;
          vmm_status = SUCCESS
       fi;
       vmm_pc = VMM_RECLAIM;
       INVARIANTS
     }
  /* tdx_reclaim_td_control_pages: TDH.PHYMEM.PAGE.RECLAIM of the TDR (seam.ts reclaimTdr) */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_RECLAIM ->
       if :: gmem_file == GMEM_EVICTED -> vmm_op++; vmm_pc = VMM_START :: else -> vmm_pc = VMM_EVICT fi;
       if
       :: td_lifecycle != TEARDOWN -> vmm_status = LIFECYCLE_INCORRECT
       :: pamt == PT_REG -> td_tdr = TDR_LEAKED; vmm_status = PAGES_EXIST
       :: else -> td_tdr = TDR_RECLAIMED; vmm_status = SUCCESS
       fi;
       INVARIANTS
     }
  /* the guest_memfd inode is evicted: truncate_inode_pages_final; then close(vmfd) if open */
  :: d_step {
       vmm_op == OP_TEARDOWN && vmm_pc == VMM_EVICT ->
       truncate_folio(); gmem_file = GMEM_EVICTED;
       if :: vm_fd -> vmm_op++; vmm_pc = VMM_START; vmm_status = 0 :: else -> vmm_pc = VMM_CLOSE fi;
       INVARIANTS
     }
  od
}

/* the page allocator hands a free frame to another owner, who frees it again (mm.ts) */
active proctype host() {
end:
  do
  :: d_step { owner == OWNER_FREE -> owner = OWNER_HOST; content = CONTENT_HOST; INVARIANTS }
  :: d_step { owner == OWNER_HOST -> owner = OWNER_FREE; INVARIANTS }
  od
}
