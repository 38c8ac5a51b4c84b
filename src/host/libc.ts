/**
 * The C library calls the host layer needs, through koffi (a maintained FFI library with prebuilt
 * binaries, so no compiler at install). Every call returns a Result: the value, or the errno by
 * name as the kernel set it. Nothing here dereferences guest memory: bytes move between a mapping
 * and JavaScript only through syscalls (see Session.load/store), so a fault that would raise
 * SIGBUS in a load shows up as EFAULT instead.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type koffiModule from 'koffi';

/** koffi (a native module) is loaded on first use: every septcheck command imports this module,
 * only `run --kernel` and the host tests call into the C library. */
let koffiLoaded: typeof koffiModule | undefined;
const koffi = (): typeof koffiModule =>
  (koffiLoaded ??= createRequire(import.meta.url)('koffi') as typeof koffiModule);

export type Result<T = number> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: string };

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);
export const errnoName = (n: number): string => errnoNames.get(n) ?? `errno ${n}`;

let lib: ReturnType<typeof bind> | undefined;

function bind() {
  const c = koffi().load('libc.so.6');
  return {
    open: c.func('int open(const char *path, int flags)'),
    close: c.func('int close(int fd)'),
    ioctl: c.func('int ioctl(int fd, unsigned long request, ...)'),
    mmap: c.func(
      'intptr_t mmap(intptr_t addr, size_t len, int prot, int flags, int fd, int64_t offset)',
    ),
    munmap: c.func('int munmap(intptr_t addr, size_t len)'),
    fallocate: c.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)'),
    read: c.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t n)'),
    write: c.func('intptr_t write(int fd, const uint8_t *buf, size_t n)'),
    pread: c.func('intptr_t pread(int fd, _Out_ uint8_t *buf, size_t n, int64_t offset)'),
    pwrite: c.func('intptr_t pwrite(int fd, const uint8_t *buf, size_t n, int64_t offset)'),
    /** the same calls with a raw address instead of a buffer: from or into a mapping */
    readAt: c.func('intptr_t read(int fd, intptr_t addr, size_t n)'),
    writeAt: c.func('intptr_t write(int fd, intptr_t addr, size_t n)'),
    pipe2: c.func('int pipe2(_Out_ int *fds, int flags)'),
    memfdCreate: c.func('int memfd_create(const char *name, unsigned int flags)'),
    ftruncate: c.func('int ftruncate(int fd, int64_t len)'),
    fstatSize: c.func('int fstat(int fd, _Out_ uint8_t *statbuf)'),
    /** copies between a JavaScript buffer and memory that cannot fault (kvm_run, anonymous) */
    copyFrom: c.func('void *memcpy(_Inout_ uint8_t *dst, intptr_t src, size_t n)'),
    copyTo: c.func('void *memcpy(intptr_t dst, const uint8_t *src, size_t n)'),
  };
}

/** The bound calls, loaded on first use (importing this module loads nothing). */
export function libc(): NonNullable<typeof lib> {
  lib ??= bind();
  return lib;
}

/** A call's result: `ret` when it is not -1, else the errno. */
export function check(ret: number | bigint): Result {
  const n = Number(ret);
  return n === -1 ? { ok: false, errno: errnoName(koffi().errno()) } : { ok: true, value: n };
}

export const O_RDWR = 0o2;
export const O_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const MAP_ANONYMOUS = 0x20;
export const MAP_FAILED = -1;
/** x86-64 struct stat: st_ino at 8, st_size at 48, st_blksize at 56 (asm/stat.h) */
export const STAT = { size: 144, ino: 8, st_size: 48, st_blksize: 56 } as const;
