/**
 * A session owns every file descriptor and mapping it creates and gives each one back, in reverse
 * order, when it is released: on success, on an error, on an exception. Nothing the host layer
 * creates outlives its session.
 */
import { check, libc, MAP_FAILED, O_CLOEXEC, O_NONBLOCK, STAT, type Result } from './libc.js';

export interface Mapping {
  readonly addr: number;
  readonly length: number;
}

export class Session {
  private readonly fds = new Set<number>();
  private readonly mappings = new Map<number, Mapping>();
  /** a non-blocking pipe that moves bytes to and from mappings (see load/store) */
  private pipe: [number, number] | undefined;

  /** Takes ownership of a descriptor a call just returned (when it returned one). */
  adopt(r: Result): Result {
    if (r.ok) this.fds.add(r.value);
    return r;
  }

  open(path: string, flags: number): Result {
    return this.adopt(check(libc().open(path, flags | O_CLOEXEC)));
  }

  close(fd: number): Result {
    if (!this.fds.delete(fd)) return { ok: false, errno: 'EBADF' }; // never close what is not ours
    return check(libc().close(fd));
  }

  owns(fd: number): boolean {
    return this.fds.has(fd);
  }

  mmap(length: number, prot: number, flags: number, fd: number, offset = 0): Result<Mapping> {
    const addr = Number(libc().mmap(0, length, prot, flags, fd, offset));
    if (addr === MAP_FAILED) return check(-1) as Result<never>;
    const m = { addr, length };
    this.mappings.set(addr, m);
    return { ok: true, value: m };
  }

  munmap(m: Mapping): Result {
    if (!this.mappings.delete(m.addr)) return { ok: false, errno: 'EINVAL' };
    return check(libc().munmap(m.addr, m.length));
  }

  /** `length` bytes of a mapping, read by write(2) from it into a pipe: where a load would raise
   * SIGBUS the copy stops with EFAULT (copy_from_user's fault fixup), and no signal is sent. A
   * copy that faults part way returns the bytes before the fault. */
  load(addr: number, length = 1): Result<Buffer> {
    const [r, w] = this.pipeFds();
    const sent = check(libc().writeAt(w, addr, length));
    if (!sent.ok) return sent;
    const bytes = Buffer.alloc(sent.value);
    const got = check(libc().read(r, bytes, bytes.length));
    return got.ok ? { ok: true, value: bytes.subarray(0, got.value) } : got;
  }

  /** `length` bytes of `value` written into a mapping by read(2) from a pipe (a memset): EFAULT,
   * or fewer bytes than asked, where a store would fault. Returns how many were written. */
  store(addr: number, value: number, length = 1): Result {
    const [r, w] = this.pipeFds();
    const put = check(libc().write(w, Buffer.alloc(length, value), length));
    if (!put.ok) return put;
    const got = check(libc().readAt(r, addr, put.value));
    const left = put.value - (got.ok ? got.value : 0);
    if (left > 0) libc().read(r, Buffer.alloc(left), left); // pipe_read leaves what it could not copy
    return got;
  }

  fstat(fd: number): Result<{ size: number; blksize: number; ino: number }> {
    const st = Buffer.alloc(STAT.size);
    const r = check(libc().fstatSize(fd, st));
    if (!r.ok) return r;
    return {
      ok: true,
      value: {
        size: Number(st.readBigInt64LE(STAT.st_size)),
        blksize: Number(st.readBigInt64LE(STAT.st_blksize)),
        ino: Number(st.readBigUInt64LE(STAT.ino)),
      },
    };
  }

  /** Gives back every mapping, then every descriptor, newest first. Safe to call twice. */
  release(): void {
    for (const m of [...this.mappings.values()].reverse()) libc().munmap(m.addr, m.length);
    this.mappings.clear();
    for (const fd of [...this.fds].reverse()) libc().close(fd);
    this.fds.clear();
    this.pipe = undefined;
  }

  /** What the session holds now: for tests and for the report. */
  held(): { fds: number; mappings: number } {
    return { fds: this.fds.size, mappings: this.mappings.size };
  }

  private pipeFds(): [number, number] {
    if (!this.pipe) {
      const fds = [0, 0];
      if (libc().pipe2(fds, O_NONBLOCK | O_CLOEXEC) !== 0) throw new Error('pipe2 failed');
      fds.forEach((fd) => this.fds.add(fd));
      this.pipe = [fds[0]!, fds[1]!];
    }
    return this.pipe;
  }
}

/** Runs `body` with a fresh session and releases it whatever happens. */
export function withSession<T>(body: (s: Session) => T): T {
  const s = new Session();
  try {
    return body(s);
  } finally {
    s.release();
  }
}
