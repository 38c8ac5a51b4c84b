/**
 * KVM's userspace ABI as the host layer uses it: ioctl numbers, capabilities, exit reasons and the
 * byte layout of the structures passed to the ioctls. Every value is read from
 * include/uapi/linux/kvm.h (torvalds/linux, v6.18-era: KVM_CAP_GUEST_MEMFD_FLAGS 244 and
 * GUEST_MEMFD_FLAG_INIT_SHARED as merged for 6.18) or, for x86 structures and VM types, from
 * arch/x86/include/uapi/asm/kvm.h; each line names the macro it stands for.
 */

/** include/uapi/asm-generic/ioctl.h: _IOC(dir, type, nr, size) with dir in the top two bits
 * (_IOC_WRITE = 1, _IOC_READ = 2), size in bits 16..29, type in 8..15, nr in 0..7. */
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (KVMIO << 8) | nr) >>> 0;
}
const KVMIO = 0xae; // kvm.h: #define KVMIO 0xAE
const IO = (nr: number) => ioc(0, nr, 0);
const IOW = (nr: number, size: number) => ioc(1, nr, size);
const IOR = (nr: number, size: number) => ioc(2, nr, size);
const IOWR = (nr: number, size: number) => ioc(3, nr, size);

/** Sizes of the structures below, in bytes. */
export const SIZEOF = {
  /** struct kvm_create_guest_memfd { __u64 size; __u64 flags; __u64 reserved[6]; } */
  kvm_create_guest_memfd: 64,
  /** struct kvm_userspace_memory_region2 { __u32 slot, flags; __u64 guest_phys_addr, memory_size,
   * userspace_addr, guest_memfd_offset; __u32 guest_memfd, pad1; __u64 pad2[14]; } */
  kvm_userspace_memory_region2: 160,
  /** struct kvm_memory_attributes { __u64 address, size, attributes, flags; } */
  kvm_memory_attributes: 32,
  /** asm/kvm.h struct kvm_regs: rax..r15 (16), rip, rflags, all __u64 */
  kvm_regs: 144,
  /** asm/kvm.h struct kvm_sregs: 8 kvm_segment (24 bytes each), gdt and idt (kvm_dtable, 16 each),
   * cr0, cr2, cr3, cr4, cr8, efer, apic_base, interrupt_bitmap[4] */
  kvm_sregs: 312,
} as const;

export const KVM = {
  /** kvm.h: #define KVM_CREATE_VM _IO(KVMIO, 0x01) */
  CREATE_VM: IO(0x01),
  /** kvm.h: #define KVM_CHECK_EXTENSION _IO(KVMIO, 0x03); also a VM ioctl (KVM_CAP_CHECK_EXTENSION_VM) */
  CHECK_EXTENSION: IO(0x03),
  /** kvm.h: #define KVM_GET_VCPU_MMAP_SIZE _IO(KVMIO, 0x04) */
  GET_VCPU_MMAP_SIZE: IO(0x04),
  /** kvm.h: #define KVM_CREATE_VCPU _IO(KVMIO, 0x41) */
  CREATE_VCPU: IO(0x41),
  /** kvm.h: #define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2) */
  SET_USER_MEMORY_REGION2: IOW(0x49, SIZEOF.kvm_userspace_memory_region2),
  /** kvm.h: #define KVM_RUN _IO(KVMIO, 0x80) */
  RUN: IO(0x80),
  /** kvm.h: #define KVM_GET_REGS _IOR(KVMIO, 0x81, struct kvm_regs) */
  GET_REGS: IOR(0x81, SIZEOF.kvm_regs),
  /** kvm.h: #define KVM_SET_REGS _IOW(KVMIO, 0x82, struct kvm_regs) */
  SET_REGS: IOW(0x82, SIZEOF.kvm_regs),
  /** kvm.h: #define KVM_GET_SREGS _IOR(KVMIO, 0x83, struct kvm_sregs) */
  GET_SREGS: IOR(0x83, SIZEOF.kvm_sregs),
  /** kvm.h: #define KVM_SET_SREGS _IOW(KVMIO, 0x84, struct kvm_sregs) */
  SET_SREGS: IOW(0x84, SIZEOF.kvm_sregs),
  /** kvm.h: #define KVM_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct kvm_memory_attributes) */
  SET_MEMORY_ATTRIBUTES: IOW(0xd2, SIZEOF.kvm_memory_attributes),
  /** kvm.h: #define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd) */
  CREATE_GUEST_MEMFD: IOWR(0xd4, SIZEOF.kvm_create_guest_memfd),
} as const;

/** kvm.h: the KVM_CAP_* numbers asked with KVM_CHECK_EXTENSION. */
export const KVM_CAP = {
  USER_MEMORY2: 231,
  MEMORY_ATTRIBUTES: 233,
  GUEST_MEMFD: 234,
  VM_TYPES: 235,
  /** returns the GUEST_MEMFD_FLAG_* bits the VM supports (6.18) */
  GUEST_MEMFD_FLAGS: 244,
} as const;

/** kvm.h: GUEST_MEMFD_FLAG_MMAP (1ULL << 0), GUEST_MEMFD_FLAG_INIT_SHARED (1ULL << 1) */
export const GUEST_MEMFD_FLAG = { MMAP: 1, INIT_SHARED: 2 } as const;
/** kvm.h: KVM_MEM_GUEST_MEMFD (1UL << 2) */
export const KVM_MEM_GUEST_MEMFD = 1 << 2;
/** kvm.h: KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3); also KVM_MEMORY_EXIT_FLAG_PRIVATE */
export const KVM_MEMORY_ATTRIBUTE_PRIVATE = 1 << 3;
/** asm/kvm.h: KVM_X86_DEFAULT_VM 0 (the type KVM_CREATE_VM(0) makes) */
export const KVM_X86_DEFAULT_VM = 0;

/** kvm.h: the KVM_EXIT_* reasons a run here can end with. */
export const KVM_EXIT: Record<number, string> = {
  0: 'KVM_EXIT_UNKNOWN',
  2: 'KVM_EXIT_IO',
  5: 'KVM_EXIT_HLT',
  6: 'KVM_EXIT_MMIO',
  8: 'KVM_EXIT_SHUTDOWN',
  9: 'KVM_EXIT_FAIL_ENTRY',
  17: 'KVM_EXIT_INTERNAL_ERROR',
  39: 'KVM_EXIT_MEMORY_FAULT',
};

/** Byte offsets inside struct kvm_run (kvm.h), as mmapped from a vCPU fd. */
export const KVM_RUN_OFFSET = {
  /** __u8 request_interrupt_window; __u8 padding1[7]; then __u32 exit_reason */
  exit_reason: 8,
  /** the exit union starts after flags (u16 at 14), cr8 (16) and apic_base (24) */
  io_direction: 32,
  io_size: 33,
  io_port: 34,
  io_data_offset: 40,
  mmio_phys_addr: 32,
  /** struct { __u64 flags; __u64 gpa; __u64 size; } memory_fault */
  memory_fault_flags: 32,
  memory_fault_gpa: 40,
} as const;

/** asm/kvm.h struct kvm_regs: rip is the 17th __u64, rflags the 18th. */
export const REGS_OFFSET = { rip: 128, rflags: 136 } as const;
/** asm/kvm.h struct kvm_segment { __u64 base; __u32 limit; __u16 selector; ... }: cs is the first
 * segment of struct kvm_sregs. */
export const SREGS_OFFSET = { cs_base: 0, cs_selector: 12 } as const;
