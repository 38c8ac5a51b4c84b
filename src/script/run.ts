/**
 * Runs a script step by step: file operations against guest_memfd's userspace interface
 * (src/kernel/uapi.ts), VM operations and guest programs against the system model, driven
 * deterministically; every expectation is checked and reported PASS or FAIL.
 */
import type { Action } from '../engine/index.js';
import { systemModel, type Kernel, type VmmOp } from '../kernel/index.js';
import { S } from '../kernel/seam.js';
import { gpa } from '../kernel/step.js';
import { FAULT_PFN, VCPU_IDLE } from '../kernel/programs.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, GUEST_MEMFD_FLAG_INIT_SHARED, GUEST_MEMFD_FLAG_MMAP, GmemUapi, PAGE_SIZE, type Result } from '../kernel/uapi.js';
import { policies } from '../policies/index.js';
import { Driver } from './driver.js';
import { numberArg, ScriptError, type Expect, type GuestOp, type Script, type Step } from './schema.js';

export interface CheckResult {
  readonly what: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly pass: boolean;
}

export interface StepReport {
  readonly index: number;
  readonly do: string;
  /** what happened, in a line */
  readonly outcome: string;
  readonly checks: CheckResult[];
}

export interface RunReport {
  readonly name: string;
  readonly source?: string;
  readonly steps: StepReport[];
  readonly passed: boolean;
}

/** What a step produced, in the terms expectations use. */
interface Outcome {
  ret?: number;
  errno?: string;
  signal?: string;
  value?: number;
  size?: number;
  blksize?: number;
  ino?: number;
  exit?: string;
  gpa?: number;
  flags?: string[];
  seamcall?: string;
}

const vmmOps: Record<string, VmmOp['op']> = {
  init_mem_region: 'init-mem',
  finalize: 'finalize',
  punch_hole: 'punch-hole',
  gup: 'gup',
  teardown: 'teardown',
};

function flagBits(names: unknown, known: Record<string, number>, file: string, path: string): number {
  if (names === undefined) return 0;
  if (!Array.isArray(names)) throw new ScriptError(`${file}: ${path}: expected a list of ${Object.keys(known).join(', ')}`);
  return names.reduce((bits: number, n) => {
    const bit = known[String(n)];
    if (bit === undefined) throw new ScriptError(`${file}: ${path}: unknown flag "${n}" (known: ${Object.keys(known).join(', ')})`);
    return bits | bit;
  }, 0);
}

function gfnList(step: Step, i: number, file: string): number[] {
  const g = step.gfns;
  if (!Array.isArray(g) || g.length === 0 || !g.every((x) => Number.isInteger(x))) throw new ScriptError(`${file}: steps[${i}].gfns: expected a list of GFNs`);
  return g as number[];
}

/** The VMM's script of the system model: the steps that are VMM operations, in order. */
function vmmScript(script: Script, file: string): VmmOp[] {
  return script.steps.flatMap((step, i): VmmOp[] => {
    if (step.do === 'convert') {
      if (step.to !== 'shared' && step.to !== 'private') throw new ScriptError(`${file}: steps[${i}].to: expected shared or private`);
      return [{ op: step.to === 'shared' ? 'to-shared' : 'to-private', gfns: gfnList(step, i, file) }];
    }
    const op = vmmOps[step.do];
    if (!op) return [];
    if (op === 'init-mem' || op === 'gup') return [{ op, gfn: numberArg(step, i, 'gfn', file) }];
    if (op === 'punch-hole') return [{ op, gfns: gfnList(step, i, file) }];
    return [{ op } as VmmOp];
  });
}

export function runScript(script: Script, file: string): RunReport {
  const policy = policies[script.vm.policy];
  if (!policy) throw new ScriptError(`${file}: vm.policy: unknown policy "${script.vm.policy}" (known: ${Object.keys(policies).join(', ')})`);
  const ops = script.vm.type === 'tdx' ? vmmScript(script, file) : [];
  const system =
    script.vm.type === 'tdx'
      ? systemModel({
          scenario: {
            name: script.name,
            doc: script.name,
            gfns: script.vm.pages,
            hugeFolio: script.vm.hugeFolio,
            vcpus: script.vm.vcpus,
            guestGfns: Array.from({ length: script.vm.pages }, (_, g) => g),
            ops,
            faults: {},
            strayPrivateAccesses: true,
          },
          policy,
          faults: {},
          hvo: script.vm.hvo,
        })
      : undefined;
  const driver = system ? new Driver(system.model) : undefined;
  const uapi = new GmemUapi(script.vm.type);
  const fds = new Map<string, number>();
  const fd = (step: Step, i: number) => {
    const name = String(step.fd ?? '');
    const n = fds.get(name);
    if (n === undefined) throw new ScriptError(`${file}: steps[${i}].fd: no guest_memfd named "${name}" was created before`);
    return n;
  };

  // After teardown the VM's and vCPUs' fds are closed: every later KVM ioctl fails in fdget
  // with -EBADF (fs/ioctl.c, SYSCALL_DEFINE3(ioctl)), and so does fallocate on the closed
  // guest_memfd (fs/open.c ksys_fallocate; not re-read).
  let closed = false;
  const reports = script.steps.map((step, i): StepReport => {
    const out: Outcome = {};
    const fromResult = (r: Result<number>) => {
      if (r.ok) out.ret = r.value;
      else if (r.errno.startsWith('SIG')) out.signal = r.errno;
      else out.errno = r.errno;
    };
    switch (step.do) {
      case 'create_guest_memfd': {
        const r = uapi.create(numberArg(step, i, 'size', file), flagBits(step.flags, { MMAP: GUEST_MEMFD_FLAG_MMAP, INIT_SHARED: GUEST_MEMFD_FLAG_INIT_SHARED }, file, `steps[${i}].flags`));
        fromResult(r);
        if (r.ok) fds.set(String(step.as ?? 'fd'), r.value);
        break;
      }
      case 'fstat': {
        const r = uapi.fstat(fd(step, i));
        if (r.ok) Object.assign(out, { ret: 0, size: r.value.size, blksize: r.value.blksize, ino: r.value.ino });
        else out.errno = r.errno;
        break;
      }
      case 'read':
      case 'write':
        fromResult(uapi.readWrite(fd(step, i)));
        break;
      case 'fallocate':
        fromResult(
          uapi.fallocate(
            fd(step, i),
            flagBits(step.mode, { KEEP_SIZE: FALLOC_FL_KEEP_SIZE, PUNCH_HOLE: FALLOC_FL_PUNCH_HOLE }, file, `steps[${i}].mode`),
            numberArg(step, i, 'offset', file),
            numberArg(step, i, 'len', file),
          ),
        );
        break;
      case 'mmap':
        fromResult(uapi.mmap(fd(step, i), step.shared !== false));
        break;
      case 'access': {
        const r = uapi.access(fd(step, i), numberArg(step, i, 'offset', file), step.write === undefined ? undefined : numberArg(step, i, 'write', file));
        if (r.ok) out.value = r.value;
        else out.signal = r.errno;
        break;
      }
      case 'close':
        fromResult(uapi.close(fd(step, i)));
        break;
      case 'check':
        break;
      default:
        if (closed) Object.assign(out, { ret: -1, errno: 'EBADF' });
        else if (step.do === 'run') Object.assign(out, runGuest(driver!, system!.kernel, step, i, file));
        else Object.assign(out, runVmmOp(driver!, system!.kernel));
        if (step.do === 'teardown') closed = true;
    }
    const checks = checkExpect(step.expect ?? {}, out, driver?.view(), fds, uapi);
    return { index: i, do: step.do, outcome: outcomeText(out), checks };
  });
  return { name: script.name, ...(script.source ? { source: script.source } : {}), steps: reports, passed: reports.every((r) => r.checks.every((c) => c.pass)) };
}

const seamcallOf = (calls: string[]) => {
  for (let i = calls.length - 1; i >= 0; i--) {
    const m = / -> (TDX_[A-Z_]+)/.exec(calls[i]!);
    if (m) return m[1];
  }
  return undefined;
};

/** The VMM's current op, run to its end; other kernel work it waits for runs meanwhile. */
function runVmmOp(d: Driver, k: Kernel): Outcome {
  const v = k.v;
  const op = d.state[v.vmmOp]!;
  const from = d.log.length;
  const background = (a: Action) => a.process === 'vmm-io' || (a.process?.startsWith('vcpu') === true && a.where !== 'guest' && a.name !== 'tdx_vcpu_run');
  for (let n = 0; n < 500 && d.state[v.vmmOp] === op; n++) {
    if (!d.step((a) => a.process === 'vmm') && !d.step(background)) {
      return { errno: 'EDEADLK', seamcall: `stuck: ${String(d.view()['vmm at'])}` };
    }
  }
  const calls = d.log.slice(from).map((t) => t.call);
  const seamcall = seamcallOf(calls);
  // The ioctl's errno, as the step that stands for the kernel function answering it says
  // (vmm.ts: tdx_td_finalize, tdx_vcpu_init_mem_region, kvm_gmem_populate; a conversion
  // still retrying on -EAGAIN).
  const last = d.log.slice(from).filter((t) => t.action.process === 'vmm').at(-1)?.call ?? '';
  const errno = d.state[v.vmmStatus] === S.EAGAIN ? 'EAGAIN' : / -> -(E[A-Z]+)$/.exec(last)?.[1];
  return { ret: errno ? -1 : 0, ...(errno ? { errno } : {}), ...(seamcall ? { seamcall } : {}) };
}

/** KVM_RUN on a vCPU with a guest program: each access or ACCEPT, with the faults it causes
 * served, until the program is done or KVM exits to userspace. */
function runGuest(d: Driver, k: Kernel, step: Step, i: number, file: string): Outcome {
  const v = k.v;
  const c = numberArg(step, i, 'vcpu', file, 0);
  if (c >= k.vcpus) throw new ScriptError(`${file}: steps[${i}].vcpu: the VM has ${k.vcpus} vCPU(s)`);
  const proc = `vcpu${c}`;
  const program = (Array.isArray(step.guest) ? step.guest : []) as GuestOp[];
  const from = d.log.length;
  const calls = () => d.log.slice(from).map((t) => t.call);
  const kernelSteps = (a: Action) => a.process === proc && a.where !== 'guest' && a.name !== 'tdx_vcpu_run';
  for (const [j, ins] of program.entries()) {
    if ('mapgpa' in ins) {
      // TDG.VP.VMCALL<MapGPA>: KVM exits to userspace (tdx_map_gpa), which converts.
      if (d.state[v.inGuest + c]) d.step((a) => a.process === proc && a.name.startsWith('TD exit'));
      return { exit: 'KVM_EXIT_HYPERCALL', gpa: ins.mapgpa * PAGE_SIZE, flags: ['KVM_HC_MAP_GPA_RANGE', ins.shared ? 'DECRYPTED' : 'ENCRYPTED'] };
    }
    const kind = 'accept' in ins ? 'TDG.MEM.PAGE.ACCEPT' : 'write' in ins ? 'guest write' : undefined;
    const g = 'accept' in ins ? ins.accept : 'write' in ins ? ins.write : NaN;
    if (!kind || !Number.isInteger(g) || g < 0 || g >= k.gfns) throw new ScriptError(`${file}: steps[${i}].guest[${j}]: expected { accept: gfn }, { write: gfn } or { mapgpa: gfn, shared: bool } with a GFN below ${k.gfns}`);
    for (let n = 0; ; n++) {
      if (n > 100) return { exit: 'stuck', seamcall: seamcallOf(calls()) ?? '' };
      if (!d.state[v.inGuest + c]) {
        // Serve a pending fault first; a fault that ends in userspace ends KVM_RUN.
        while (d.state[v.vcpuPc + c] !== VCPU_IDLE) if (!d.step(kernelSteps)) return { exit: 'stuck' };
        const st = d.state[v.vcpuStatus + c]!;
        const exit = n > 0 ? exitOf(st) : undefined; // before the first try, nothing has faulted
        if (exit) return { ...exit, gpa: g * PAGE_SIZE, ...(seamcallOf(calls()) ? { seamcall: seamcallOf(calls())! } : {}) };
        if (!d.step((a) => a.process === proc && a.name === 'tdx_vcpu_run')) return { exit: 'EIO', errno: 'EIO' }; // the VM is dead
        continue;
      }
      const touched = d.step(
        (a) => a.process === proc && a.name.startsWith(kind),
        (a, next) => (a.explain?.(d.state, next) ?? '').includes(`gpa=${gpa(g)}`),
      );
      // A script's guest may touch any GFN its VM has (no accepted-first rule, no poison):
      // every touch is enabled in the guest, so a refusal is a model error.
      if (!touched) throw new Error(`${file}: steps[${i}].guest[${j}]: the model did not let the guest touch gpa ${gpa(g)}`);
      if (d.state[v.inGuest + c]) break; // the instruction completed in the guest
      // An exit KVM answers without a fault (the VM killed): KVM_RUN returns its errno.
      const exit = d.state[v.vcpuPc + c] === VCPU_IDLE ? exitOf(d.state[v.vcpuStatus + c]!) : undefined;
      if (exit) return { ...exit, gpa: g * PAGE_SIZE };
      if (d.state[v.vcpuPc + c] !== FAULT_PFN) return { exit: 'stuck' };
    }
  }
  d.step((a) => a.process === proc && a.name.startsWith('TD exit')); // GUEST_DONE: the guest halts
  const seamcall = seamcallOf(calls());
  return { exit: 'done', ...(seamcall ? { seamcall } : {}) };
}

/** How a fault that ended outside the guest shows up to userspace. */
function exitOf(status: number): Outcome | undefined {
  if (status === S.MEMORY_FAULT) return { exit: 'KVM_EXIT_MEMORY_FAULT', flags: ['KVM_MEMORY_EXIT_FLAG_PRIVATE'] };
  if (status === S.EHWPOISON) return { exit: 'EHWPOISON', errno: 'EHWPOISON' };
  if (status === S.EIO) return { exit: 'EIO', errno: 'EIO' };
  return undefined;
}

function checkExpect(e: Expect, out: Outcome, view: Record<string, unknown> | undefined, fds: Map<string, number>, uapi: GmemUapi): CheckResult[] {
  const checks: CheckResult[] = [];
  const eq = (what: string, expected: unknown, actual: unknown) => checks.push({ what, expected, actual: actual ?? null, pass: JSON.stringify(expected) === JSON.stringify(actual ?? null) });
  if (e.ret !== undefined) eq('ret', e.ret, out.errno ? `-${out.errno}` : out.ret);
  if (e.errno !== undefined) eq('errno', e.errno, out.errno);
  if (e.fails !== undefined) eq('fails', e.fails, out.errno !== undefined || out.signal !== undefined);
  if (e.signal !== undefined) eq('signal', e.signal, out.signal);
  if (e.value !== undefined) eq('value', e.value, out.value);
  if (e.size !== undefined) eq('size', e.size, out.size);
  if (e.blksize !== undefined) eq('blksize', e.blksize, out.blksize);
  if (e.inoNot !== undefined) {
    const other = fds.has(e.inoNot) ? uapi.file(fds.get(e.inoNot)!)?.inode : undefined;
    checks.push({ what: 'inode', expected: `not that of ${e.inoNot}`, actual: out.ino ?? null, pass: out.ino !== undefined && other !== undefined && out.ino !== other });
  }
  if (e.exit !== undefined) eq('exit', e.exit, out.exit);
  if (e.gpa !== undefined) eq('gpa', e.gpa, out.gpa);
  if (e.flags !== undefined) eq('flags', e.flags, out.flags);
  if (e.seamcall !== undefined) eq('seamcall', e.seamcall, out.seamcall);
  for (const [fact, want] of Object.entries(e.facts ?? {})) eq(fact, want, view?.[fact]);
  return checks;
}

function outcomeText(o: Outcome): string {
  const parts: string[] = [];
  if (o.exit) parts.push(`exit ${o.exit}${o.gpa !== undefined ? ` gpa=0x${o.gpa.toString(16)}` : ''}${o.flags ? ` flags=${o.flags.join('|')}` : ''}`);
  else if (o.errno) parts.push(`-${o.errno}`);
  else if (o.signal) parts.push(o.signal);
  else if (o.value !== undefined) parts.push(`read 0x${o.value.toString(16)}`);
  else if (o.size !== undefined) parts.push(`st_size ${o.size}, st_blksize ${o.blksize}`);
  else if (o.ret !== undefined) parts.push(`returns ${o.ret}`);
  if (o.seamcall) parts.push(o.seamcall);
  return parts.join(', ') || 'done';
}
