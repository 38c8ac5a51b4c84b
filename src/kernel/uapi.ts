/**
 * guest_memfd as userspace sees the file: creation with a size and flags, fallocate, read and
 * write, mmap and faults through the mapping, fstat. These checks run before any kernel path the
 * system model explores, so they are a small deterministic model of their own, used by scripted
 * runs (`septcheck run`). Sources, in virt/kvm/guest_memfd.c: kvm_gmem_create /
 * __kvm_gmem_create (flags and size), kvm_gmem_fallocate, kvm_gmem_allocate,
 * kvm_gmem_punch_hole, kvm_gmem_mmap, kvm_gmem_fault_user_mapping; the rules are the ones
 * tools/testing/selftests/kvm/guest_memfd_test.c asserts. Simplification: one byte of content
 * per page.
 */

export const PAGE_SIZE = 4096;
export const GUEST_MEMFD_FLAG_MMAP = 1 << 0;
export const GUEST_MEMFD_FLAG_INIT_SHARED = 1 << 1;
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;

/** A syscall's result: a value, or a negative errno by name. */
export type Result<T = number> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (errno: string): Result<never> => ({ ok: false, errno });

export interface GmemFile {
  readonly inode: number;
  readonly size: number;
  readonly flags: number;
  /** per page: allocated in the file, shared (else private), content byte */
  readonly pages: { allocated: boolean; shared: boolean; byte: number }[];
}

/** The guest_memfd flags a VM type supports (KVM_CAP_GUEST_MEMFD_FLAGS). A default VM has both
 * (include/linux/kvm_host.h kvm_gmem_get_supported_flags: MMAP always, INIT_SHARED when
 * arch/x86/kvm/x86.c kvm_arch_supports_gmem_init_shared says the VM has no private memory, which
 * is true of KVM_X86_DEFAULT_VM; the 6.18 guest_memfd_test.c test_guest_memfd_guest asserts both).
 * A TDX VM's memory starts private and is not mmap-able without in-place conversion
 * (simplification: neither flag). */
export function supportedFlags(vmType: 'default' | 'tdx'): number {
  return vmType === 'default' ? GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED : 0;
}

/** Userspace's guest_memfd files and mappings on one VM. */
export class GmemUapi {
  private files: GmemFile[] = [];
  /** files whose descriptor was closed (kvm_gmem_release ran: no mapping kept them open) */
  private readonly closed = new Set<number>();

  constructor(private readonly vmType: 'default' | 'tdx') {}

  /** KVM_CREATE_GUEST_MEMFD: flags the VM type does not support, and a size that is zero or
   * not page-aligned, are -EINVAL. Returns the fd (an index here). */
  create(size: number, flags: number): Result {
    // flags is a __u64: bits above 31 are tested in BigInt (JavaScript's & is 32-bit)
    if (BigInt(flags) & ~BigInt(supportedFlags(this.vmType))) return fail('EINVAL');
    if (size <= 0 || size % PAGE_SIZE) return fail('EINVAL');
    const shared = !!(flags & GUEST_MEMFD_FLAG_INIT_SHARED);
    const pages = Array.from({ length: size / PAGE_SIZE }, () => ({
      allocated: false,
      shared,
      byte: 0,
    }));
    this.files.push({ inode: this.files.length + 1, size, flags, pages });
    return ok(this.files.length - 1);
  }

  /** An open file (a closed one reads as none, so every later call on it is -EBADF). */
  file(fd: number): GmemFile | undefined {
    return this.closed.has(fd) ? undefined : this.files[fd];
  }

  /** The file behind a descriptor, closed or not: what a memslot or a mapping still refers to. */
  inode(fd: number): GmemFile | undefined {
    return this.files[fd];
  }

  isClosed(fd: number): boolean {
    return this.closed.has(fd);
  }

  /** fstat: the size asked for at creation, and page-sized blocks. */
  fstat(fd: number): Result<{ size: number; blksize: number; ino: number }> {
    const f = this.file(fd);
    return f ? ok({ size: f.size, blksize: PAGE_SIZE, ino: f.inode }) : fail('EBADF');
  }

  /** read/write: guest_memfd has no read or write file operations, so the file never got
   * FMODE_CAN_READ/WRITE (fs/file_table.c file_init_path) and vfs_read/vfs_write answer -EINVAL.
   * pread/pwrite (`positioned`) stop earlier: a file made by alloc_file_pseudo has no FMODE_PREAD
   * or FMODE_PWRITE (file_init_path sets neither), so fs/read_write.c ksys_pread64/ksys_pwrite64
   * answer -ESPIPE. (The selftest only asserts that all four fail.) */
  readWrite(fd: number, positioned = false): Result {
    return this.file(fd) ? fail(positioned ? 'ESPIPE' : 'EINVAL') : fail('EBADF');
  }

  /** kvm_gmem_fallocate: KEEP_SIZE is required and PUNCH_HOLE the only other mode; offset and
   * length must be page-aligned; allocation must stay inside the file, a punch past it is a
   * no-op. */
  fallocate(fd: number, mode: number, offset: number, len: number): Result {
    const f = this.file(fd);
    if (!f) return fail('EBADF');
    if (!(mode & FALLOC_FL_KEEP_SIZE)) return fail('EOPNOTSUPP');
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return fail('EOPNOTSUPP');
    if (offset % PAGE_SIZE || len % PAGE_SIZE || len <= 0) return fail('EINVAL');
    const first = offset / PAGE_SIZE;
    const end = Math.min((offset + len) / PAGE_SIZE, f.pages.length);
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      for (let p = first; p < end; p++) f.pages[p] = { ...f.pages[p]!, allocated: false, byte: 0 };
      return ok(0);
    }
    if (offset + len > f.size) return fail('EINVAL');
    for (let p = first; p < end; p++) f.pages[p]!.allocated = true;
    return ok(0);
  }

  /** kvm_gmem_mmap: only with GUEST_MEMFD_FLAG_MMAP (else -ENODEV), and only MAP_SHARED: a
   * copy-on-write mapping is -EINVAL. The mapping may be longer than the file. */
  mmap(fd: number, shared: boolean): Result {
    const f = this.file(fd);
    if (!f) return fail('EBADF');
    if (!(f.flags & GUEST_MEMFD_FLAG_MMAP)) return fail('ENODEV');
    if (!shared) return fail('EINVAL');
    return ok(0);
  }

  /** A userspace access through the mapping (kvm_gmem_fault_user_mapping) of `length` bytes from
   * `offset` (a memset or a read of each byte): past the end of the file or on a private page it
   * is SIGBUS, after the pages before it were written; a page is allocated on first touch. The
   * mapping keeps the file, so this works after the descriptor is closed. A read returns the
   * pages' byte, or -1 when the pages read differ. */
  access(fd: number, offset: number, write?: number, length = 1): Result {
    const f = this.inode(fd);
    if (!f) return fail('EBADF');
    const bytes = new Set<number>();
    for (let p = Math.floor(offset / PAGE_SIZE); p * PAGE_SIZE < offset + length; p++) {
      const page = f.pages[p];
      if (!page || !page.shared) return fail('SIGBUS');
      page.allocated = true;
      if (write !== undefined) page.byte = write;
      bytes.add(page.byte);
    }
    return ok(bytes.size === 1 ? [...bytes][0]! : -1);
  }

  /** close(2): the descriptor goes; kvm_gmem_release (unbinding every memslot) runs once no
   * mapping holds the file either (simplification: a mapping is not counted, scripts that close a
   * bound file unmap it first). */
  close(fd: number): Result {
    if (!this.file(fd)) return fail('EBADF');
    this.closed.add(fd);
    return ok(0);
  }
}
