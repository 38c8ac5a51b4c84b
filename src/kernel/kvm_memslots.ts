/**
 * A default VM's memslots bound to guest_memfd, and a guest reading and writing through them: the
 * part of a KVM_X86_DEFAULT_VM that scripts compare with the running kernel. Deterministic, like
 * uapi.ts beside it. Sources (torvalds/linux, v6.18-era copies): virt/kvm/kvm_main.c
 * __kvm_set_memory_region (the checks of KVM_SET_USER_MEMORY_REGION2, kvm_check_memslot_overlap),
 * virt/kvm/guest_memfd.c kvm_gmem_bind (read), kvm_gmem_release and kvm_gmem_get_pfn (through
 * ../shared/reference/trees.md Q2, kvm-x86 5e38e1bd; kvm_gmem_get_pfn answers -EFAULT for a
 * slot whose file is gone, in every version read);
 * arch/x86/kvm/mmu/mmu.c __kvm_mmu_faultin_pfn (a private fault, or any fault on a gmem-only
 * slot, goes to kvm_mmu_faultin_pfn_gmem) and kvm_mmu_faultin_pfn_gmem (an error from
 * kvm_gmem_get_pfn is reported by kvm_mmu_prepare_memory_fault_exit and returned), as in Sean
 * Christopherson's "KVM: x86/mmu: Handle guest page faults for guest_memfd with shared memory"
 * (merged for 6.18).
 *
 * What differs from a TDX VM (the rest of the model):
 * - No private memory: KVM_MEMORY_ATTRIBUTE_PRIVATE needs KVM_X86_SW_PROTECTED_VM or a
 *   confidential type (arch/x86/kvm/x86.c kvm_arch_has_private_mem is false for the default
 *   type), so no access is ever private and no KVM_EXIT_MEMORY_FAULT carries the PRIVATE flag.
 * - guest_memfd may be mmapped (GUEST_MEMFD_FLAG_MMAP) and start shared (INIT_SHARED): see
 *   supportedFlags in uapi.ts. A memslot bound to a file with MMAP is "guest_memfd only"
 *   (kvm_gmem_bind sets KVM_MEMSLOT_GMEM_ONLY): the vCPU's faults take their page from the file
 *   (kvm_mmu_faultin_pfn_gmem -> kvm_gmem_get_pfn) even though the access is shared, so the
 *   guest and the host's mapping of the file see the same page.
 * - No S-EPT, no SEAMCALL, no TD: the guest is ordinary code on a vCPU.
 */
import type { GmemUapi, Result } from './uapi.js';
import { PAGE_SIZE } from './uapi.js';

export interface MemslotArgs {
  readonly slot: number;
  readonly gpa: number;
  readonly size: number;
  /** the guest_memfd (a descriptor of uapi.ts) and offset, for KVM_MEM_GUEST_MEMFD */
  readonly gmem?: { readonly fd: number; readonly offset: number };
  /** the slot is backed by anonymous host memory (the guest's code) */
  readonly anonymous?: boolean;
}

interface Memslot extends MemslotArgs {
  /** cleared by kvm_gmem_release when the file is closed */
  bound: boolean;
}

/** How a guest program run by KVM_RUN ended. */
export interface GuestExit {
  readonly exit: string;
  readonly errno?: string;
  readonly gpa?: number;
  readonly port?: number;
  readonly value?: number;
}

/** The port the guest program writes a byte that was not what it expected to (GUEST_ASSERT). */
export const GUEST_ASSERT_PORT = 0x10;

const fail = (errno: string): Result<never> => ({ ok: false, errno });

/** A descriptor that is not a guest_memfd (the KVM fd, a VM fd, a plain memfd) given to bind. */
export const NOT_GUEST_MEMFD = -2;

export class KvmMemslots {
  private readonly slots = new Map<number, Memslot>();

  constructor(private readonly gmem: GmemUapi) {}

  /** KVM_SET_USER_MEMORY_REGION2 on a default VM. */
  set(a: MemslotArgs): Result {
    // __kvm_set_memory_region: size and GPA page-aligned, the guest_memfd offset page-aligned.
    if (a.size % PAGE_SIZE || a.gpa % PAGE_SIZE) return fail('EINVAL');
    if (a.gmem && a.gmem.offset % PAGE_SIZE) return fail('EINVAL');
    const old = this.slots.get(a.slot);
    if (a.size === 0) {
      // Deleting a slot that does not exist is -EINVAL; deleting a bound one unbinds it.
      if (!old) return fail('EINVAL');
      this.slots.delete(a.slot);
      return { ok: true, value: 0 };
    }
    // "Private memslots are immutable, they can only be deleted."
    if (old) return fail('EINVAL');
    const end = a.gpa + a.size;
    for (const s of this.slots.values())
      if (a.gpa < s.gpa + s.size && s.gpa < end) return fail('EEXIST'); // kvm_check_memslot_overlap
    if (a.gmem) {
      // kvm_gmem_bind: a guest_memfd of this VM, offset + size inside the file, and no other slot
      // bound to any of those pages of the file: each refusal is -EINVAL (r's initial value).
      // A file of another kind fails `file->f_op != &kvm_gmem_fops` first.
      if (a.gmem.fd === NOT_GUEST_MEMFD) return fail('EINVAL');
      const f = this.gmem.file(a.gmem.fd);
      if (!f) return fail('EBADF');
      if (a.gmem.offset + a.size > f.size) return fail('EINVAL');
      const first = a.gmem.offset / PAGE_SIZE;
      const last = first + a.size / PAGE_SIZE;
      for (const s of this.slots.values()) {
        if (!s.gmem || !s.bound || s.gmem.fd !== a.gmem.fd) continue;
        const sFirst = s.gmem.offset / PAGE_SIZE;
        if (first < sFirst + s.size / PAGE_SIZE && sFirst < last) return fail('EINVAL');
      }
    }
    this.slots.set(a.slot, { ...a, bound: !!a.gmem });
    return { ok: true, value: 0 };
  }

  /** kvm_gmem_release, when the file is closed: every slot bound to it loses its file
   * (slot->gmem.file = NULL) and stays in place. */
  release(fd: number): void {
    for (const s of this.slots.values()) if (s.gmem?.fd === fd) s.bound = false;
  }

  /** Whether a GPA lies in an anonymous slot (where the guest's code can live). */
  anonymousAt(gpa: number): boolean {
    return [...this.slots.values()].some(
      (s) => s.anonymous && gpa >= s.gpa && gpa < s.gpa + s.size,
    );
  }

  /** KVM_RUN of test_guest_memfd_guest's guest: every byte of [gpa, gpa + size) must read
   * `expect` (else it reports the byte on GUEST_ASSERT_PORT), then every byte is written `fill`,
   * then it halts. The model keeps one byte per page, so it checks and fills page by page. */
  runCheckAndFill(gpa: number, size: number, expect: number, fill: number): GuestExit {
    const pages: { page: { byte: number; allocated: boolean } }[] = [];
    for (let at = gpa; at < gpa + size; at += PAGE_SIZE) {
      const s = [...this.slots.values()].find((x) => at >= x.gpa && at < x.gpa + x.size);
      // No memslot: the access is emulated as MMIO and exits to userspace.
      if (!s) return { exit: 'KVM_EXIT_MMIO', gpa: at };
      if (!s.gmem) return { exit: 'guest memory not modelled', gpa: at };
      // A slot whose file was released: kvm_gmem_get_pfn finds no file and returns -EFAULT,
      // which kvm_mmu_faultin_pfn_gmem reports as a memory fault exit (not private: default VM).
      if (!s.bound) return { exit: 'KVM_EXIT_MEMORY_FAULT', errno: 'EFAULT', gpa: at };
      const f = this.gmem.inode(s.gmem.fd)!;
      pages.push({ page: f.pages[(s.gmem.offset + at - s.gpa) / PAGE_SIZE]! });
    }
    const wrong = pages.find((p) => p.page.byte !== expect);
    if (wrong) return { exit: 'KVM_EXIT_IO', port: GUEST_ASSERT_PORT, value: wrong.page.byte };
    for (const p of pages) Object.assign(p.page, { byte: fill, allocated: true });
    return { exit: 'KVM_EXIT_HLT' };
  }
}
