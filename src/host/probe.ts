/**
 * What this machine lets the host layer do, said in one line when it cannot: used to skip with a
 * reason (never to pass) where /dev/kvm or a capability is missing.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { KVM_DEVICE } from './kvm.js';

export type HostAccess = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The running kernel's release (uname -r). */
export function kernelRelease(): string {
  return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
}

/** Whether /dev/kvm exists and can be opened read-write by this process. */
export function hostAccess(device = KVM_DEVICE): HostAccess {
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? `${device} does not exist on this machine (no KVM: Linux ${kernelRelease()})`
          : `${device} cannot be opened read-write (${code})`,
    };
  }
}
