/**
 * KVM through its ioctls, as the kernel selftests drive it (tools/testing/selftests/kvm/lib/
 * kvm_util.c): /dev/kvm, a VM, guest_memfd files, memslots, a vCPU running real-mode code. Every
 * descriptor and mapping belongs to the session passed in.
 */
import { check, libc, MAP_SHARED, O_RDWR, PROT_READ, PROT_WRITE, type Result } from './libc.js';
import type { Mapping, Session } from './session.js';
import { KVM, KVM_EXIT, KVM_RUN_OFFSET, REGS_OFFSET, SIZEOF, SREGS_OFFSET } from './uapi.js';

export const KVM_DEVICE = '/dev/kvm';

export interface MemoryRegion {
  readonly slot: number;
  readonly flags: number;
  readonly gpa: number;
  readonly size: number;
  readonly userspaceAddr: number;
  readonly guestMemfd: number;
  readonly guestMemfdOffset: number;
}

/** How a KVM_RUN ended. */
export interface RunExit {
  /** KVM_RUN returned -1 with this errno (the exit reason may still say why) */
  readonly errno?: string;
  readonly exit: string;
  readonly port?: number;
  readonly value?: number;
  readonly gpa?: number;
  readonly flags?: number;
}

export interface Vcpu {
  readonly fd: number;
  readonly run: Mapping;
}

const ioctlInt = (fd: number, request: number, arg: number): Result =>
  check(libc().ioctl(fd, request, 'unsigned long', arg));
const ioctlBuf = (fd: number, request: number, buf: Buffer): Result =>
  check(libc().ioctl(fd, request, 'void *', buf));

/** What the script runner asks of KVM (a test on a machine without /dev/kvm may stand in). */
export type KvmApi = Pick<
  Kvm,
  | 'fd'
  | 'checkExtension'
  | 'createVm'
  | 'createGuestMemfd'
  | 'setUserMemoryRegion2'
  | 'createVcpu'
  | 'enterRealMode'
  | 'run'
>;

export class Kvm {
  private constructor(
    readonly session: Session,
    readonly fd: number,
  ) {}

  /** Opens /dev/kvm (or `device`), or says why not. */
  static open(session: Session, device = KVM_DEVICE): Result<Kvm> {
    const r = session.open(device, O_RDWR);
    return r.ok ? { ok: true, value: new Kvm(session, r.value) } : r;
  }

  /** KVM_CHECK_EXTENSION on /dev/kvm, or on a VM when `vm` is given (what that VM type supports). */
  checkExtension(cap: number, vm?: number): Result {
    return ioctlInt(vm ?? this.fd, KVM.CHECK_EXTENSION, cap);
  }

  /** KVM_CREATE_VM: the VM's fd. */
  createVm(type: number): Result {
    return this.session.adopt(ioctlInt(this.fd, KVM.CREATE_VM, type));
  }

  /** KVM_CREATE_GUEST_MEMFD on a VM: the file's fd. */
  createGuestMemfd(vm: number, size: number, flags: number): Result {
    const arg = Buffer.alloc(SIZEOF.kvm_create_guest_memfd);
    arg.writeBigUInt64LE(BigInt(size), 0);
    arg.writeBigUInt64LE(BigInt(flags), 8);
    return this.session.adopt(ioctlBuf(vm, KVM.CREATE_GUEST_MEMFD, arg));
  }

  /** KVM_SET_USER_MEMORY_REGION2 (a size of 0 deletes the slot). */
  setUserMemoryRegion2(vm: number, r: MemoryRegion): Result {
    const arg = Buffer.alloc(SIZEOF.kvm_userspace_memory_region2);
    arg.writeUInt32LE(r.slot, 0);
    arg.writeUInt32LE(r.flags, 4);
    arg.writeBigUInt64LE(BigInt(r.gpa), 8);
    arg.writeBigUInt64LE(BigInt(r.size), 16);
    arg.writeBigUInt64LE(BigInt(r.userspaceAddr), 24);
    arg.writeBigUInt64LE(BigInt(r.guestMemfdOffset), 32);
    arg.writeUInt32LE(r.guestMemfd >>> 0, 40);
    return ioctlBuf(vm, KVM.SET_USER_MEMORY_REGION2, arg);
  }

  /** KVM_CREATE_VCPU and its struct kvm_run, mapped (size from KVM_GET_VCPU_MMAP_SIZE). */
  createVcpu(vm: number, id: number): Result<Vcpu> {
    const size = ioctlInt(this.fd, KVM.GET_VCPU_MMAP_SIZE, 0);
    if (!size.ok) return size;
    const fd = this.session.adopt(ioctlInt(vm, KVM.CREATE_VCPU, id));
    if (!fd.ok) return fd;
    const run = this.session.mmap(size.value, PROT_READ | PROT_WRITE, MAP_SHARED, fd.value);
    return run.ok ? { ok: true, value: { fd: fd.value, run: run.value } } : run;
  }

  /** Points the vCPU at real-mode code at `entry` (CS base 0, IP entry; RFLAGS bit 1 is reserved
   * as 1), the smallest guest KVM runs: no page tables, no descriptor tables. */
  enterRealMode(vcpu: Vcpu, entry: number): Result {
    const sregs = Buffer.alloc(SIZEOF.kvm_sregs);
    const got = ioctlBuf(vcpu.fd, KVM.GET_SREGS, sregs);
    if (!got.ok) return got;
    sregs.writeBigUInt64LE(0n, SREGS_OFFSET.cs_base);
    sregs.writeUInt16LE(0, SREGS_OFFSET.cs_selector);
    const set = ioctlBuf(vcpu.fd, KVM.SET_SREGS, sregs);
    if (!set.ok) return set;
    const regs = Buffer.alloc(SIZEOF.kvm_regs);
    regs.writeBigUInt64LE(BigInt(entry), REGS_OFFSET.rip);
    regs.writeBigUInt64LE(2n, REGS_OFFSET.rflags);
    return ioctlBuf(vcpu.fd, KVM.SET_REGS, regs);
  }

  /** KVM_RUN once, and how it ended (read from struct kvm_run). */
  run(vcpu: Vcpu): RunExit {
    const r = ioctlInt(vcpu.fd, KVM.RUN, 0);
    const run = Buffer.alloc(64);
    libc().copyFrom(run, vcpu.run.addr, run.length);
    const reason = run.readUInt32LE(KVM_RUN_OFFSET.exit_reason);
    const exit = KVM_EXIT[reason] ?? `exit ${reason}`;
    const errno = r.ok ? {} : { errno: r.errno };
    if (exit === 'KVM_EXIT_IO') {
      const data = Buffer.alloc(1);
      libc().copyFrom(
        data,
        vcpu.run.addr + Number(run.readBigUInt64LE(KVM_RUN_OFFSET.io_data_offset)),
        1,
      );
      return { ...errno, exit, port: run.readUInt16LE(KVM_RUN_OFFSET.io_port), value: data[0]! };
    }
    if (exit === 'KVM_EXIT_MMIO')
      return { ...errno, exit, gpa: Number(run.readBigUInt64LE(KVM_RUN_OFFSET.mmio_phys_addr)) };
    if (exit === 'KVM_EXIT_MEMORY_FAULT')
      return {
        ...errno,
        exit,
        gpa: Number(run.readBigUInt64LE(KVM_RUN_OFFSET.memory_fault_gpa)),
        flags: Number(run.readBigUInt64LE(KVM_RUN_OFFSET.memory_fault_flags)),
      };
    return { ...errno, exit };
  }
}
