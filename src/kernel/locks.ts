/**
 * The kernel's locks as the model keeps them, with lockdep-style assertions: a step that the
 * real code runs under a lock asserts it is held (lockdep_assert_held / _write in the kernel),
 * so a model that lets a path in without it fails loudly instead of exploring nonsense.
 *
 * mmu_lock (arch/x86/kvm/mmu, virt/kvm/kvm_main.c): an rwlock on x86, read for faults, write
 * for zaps; filemap_invalidate_lock (mm/filemap.c, the mapping's invalidate_lock): an
 * rw_semaphore, shared for kvm_gmem_get_pfn, exclusive for guest_memfd's invalidating paths.
 */
import type { State } from '../engine/index.js';
import { LOCK_EXCLUSIVE, MMU_WRITER, type Vars } from './vars.js';

/** A lock a step must hold: its variable, and the test of the held mode. */
export interface HeldLock {
  readonly name: string;
  readonly variable: number;
  held(s: State): boolean;
}

export interface Locks {
  readonly mmuLockWrite: HeldLock;
  readonly mmuLockRead: HeldLock;
  readonly filemapInvalidateLock: HeldLock;
}

export function kernelLocks(v: Vars): Locks {
  return {
    mmuLockWrite: {
      name: 'mmu_lock (write)',
      variable: v.mmuLock,
      held: (s) => s[v.mmuLock] === MMU_WRITER,
    },
    mmuLockRead: {
      name: 'mmu_lock (read)',
      variable: v.mmuLock,
      held: (s) => s[v.mmuLock]! > 0 && s[v.mmuLock] !== MMU_WRITER,
    },
    filemapInvalidateLock: {
      name: 'filemap_invalidate_lock',
      variable: v.filemapLock,
      held: (s) => s[v.filemapLock] === LOCK_EXCLUSIVE,
    },
  };
}

/** lockdep_assert_held: the step runs only under this lock. */
export function assertHeld(lock: HeldLock, s: State): void {
  if (!lock.held(s)) throw new Error(`lockdep: ${lock.name} not held`);
}
