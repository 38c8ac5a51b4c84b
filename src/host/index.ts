export { Session, withSession, type Mapping } from './session.js';
export { Kvm, KVM_DEVICE, type KvmApi, type MemoryRegion, type RunExit, type Vcpu } from './kvm.js';
export {
  check,
  errnoName,
  libc,
  type Result,
  MAP_SHARED,
  MAP_PRIVATE,
  MAP_ANONYMOUS,
  PROT_READ,
  PROT_WRITE,
} from './libc.js';
export {
  GUEST_MEMFD_FLAG,
  KVM_CAP,
  KVM_EXIT,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  KVM_X86_DEFAULT_VM,
} from './uapi.js';
export { hostAccess, kernelRelease, type HostAccess } from './probe.js';
