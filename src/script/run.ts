/**
 * Runs a script step by step: file operations against guest_memfd's userspace interface
 * (src/kernel/uapi.ts), VM operations and guest programs against the system model, driven
 * deterministically; every expectation is checked and reported PASS or FAIL.
 */
import type { Action } from '../engine/index.js';
import {
  systemModel,
  TreeError,
  type Kernel,
  type KernelConfig,
  type ModuleVersion,
  type TreeName,
  type VmmOp,
} from '../kernel/index.js';
import { S } from '../kernel/seam.js';
import { gpa } from '../kernel/step.js';
import { FAULT_ACCEPT_LEVEL, FAULT_PFN, VCPU_IDLE } from '../kernel/programs.js';
import { KvmMemslots, NOT_GUEST_MEMFD, type MemslotArgs } from '../kernel/kvm_memslots.js';
import {
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  GUEST_MEMFD_FLAG_INIT_SHARED,
  GUEST_MEMFD_FLAG_MMAP,
  GmemUapi,
  PAGE_SIZE,
  supportedFlags,
  type Result,
} from '../kernel/uapi.js';
import { bundledPolicy, policies, type PagePolicy } from '../policies/index.js';
import { Driver } from './driver.js';
import {
  numberArg,
  ScriptError,
  type Expect,
  type GuestOp,
  type Script,
  type Step,
} from './schema.js';

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
  /** what happened, in the terms expectations use */
  readonly answer: Outcome;
  readonly checks: CheckResult[];
}

export interface RunReport {
  readonly name: string;
  readonly source?: string;
  readonly steps: StepReport[];
  readonly passed: boolean;
  /** a TDX VM's kernel tree, and whether the design is ported onto it (trees.ts) */
  readonly tree?: string;
  readonly hypothetical?: boolean;
  /** the TDX module when not 1.5 (module.ts) */
  readonly module?: string;
}

/** What a step produced, in the terms expectations use. */
export interface Outcome {
  ret?: number;
  errno?: string;
  signal?: string;
  value?: number;
  size?: number;
  blksize?: number;
  ino?: number;
  exit?: string;
  gpa?: number;
  port?: number;
  flags?: string[];
  seamcall?: string;
  /** a loop whose cases did not all answer alike: the first that differs */
  differs?: string;
}

const vmmOps: Record<string, VmmOp['op']> = {
  init_mem_region: 'init-mem',
  finalize: 'finalize',
  punch_hole: 'punch-hole',
  gup: 'gup',
  teardown: 'teardown',
};

/** fallocate's modes by the names scripts use (include/uapi/linux/falloc.h). */
export const FALLOC_FL = { KEEP_SIZE: FALLOC_FL_KEEP_SIZE, PUNCH_HOLE: FALLOC_FL_PUNCH_HOLE };

export function flagBits(
  names: unknown,
  known: Record<string, number>,
  file: string,
  path: string,
): number {
  if (names === undefined) return 0;
  if (!Array.isArray(names))
    throw new ScriptError(`${file}: ${path}: expected a list of ${Object.keys(known).join(', ')}`);
  return names.reduce((bits: number, n) => {
    // a number is a raw bit (selftests try every bit, known or not)
    const bit =
      typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 2 ** 31 ? n : known[String(n)];
    if (bit === undefined)
      throw new ScriptError(
        `${file}: ${path}: unknown flag "${n}" (known: ${Object.keys(known).join(', ')})`,
      );
    return bits | bit;
  }, 0);
}

const MAX_GMEM_SIZE = 2 ** 30;

/** A GFN of the script's VM: from 0 to vm.pages - 1. */
const isGfn = (x: unknown, pages: number) =>
  Number.isInteger(x) && (x as number) >= 0 && (x as number) < pages;

function gfnList(step: Step, i: number, file: string, pages: number): number[] {
  const g = step.gfns;
  if (!Array.isArray(g) || g.length === 0 || !g.every((x) => isGfn(x, pages)))
    throw new ScriptError(
      `${file}: steps[${i}].gfns: expected a list of GFNs from 0 to ${pages - 1} (vm.pages is ${pages})`,
    );
  return g as number[];
}

function gfnArg(step: Step, i: number, file: string, pages: number): number {
  const g = numberArg(step, i, 'gfn', file);
  if (!isGfn(g, pages))
    throw new ScriptError(
      `${file}: steps[${i}].gfn: expected a GFN from 0 to ${pages - 1} (vm.pages is ${pages}), got ${g}`,
    );
  return g;
}

/** The VMM's script of the system model: the steps that are VMM operations, in order. */
function vmmScript(script: Script, file: string): VmmOp[] {
  return script.steps.flatMap((step, i): VmmOp[] => {
    if (step.do === 'convert') {
      if (step.to !== 'shared' && step.to !== 'private')
        throw new ScriptError(`${file}: steps[${i}].to: expected shared or private`);
      return [
        {
          op: step.to === 'shared' ? 'to-shared' : 'to-private',
          gfns: gfnList(step, i, file, script.vm.pages),
        },
      ];
    }
    const op = vmmOps[step.do];
    if (!op) return [];
    if (op === 'init-mem' || op === 'gup')
      return [{ op, gfn: gfnArg(step, i, file, script.vm.pages) }];
    if (op === 'punch-hole') return [{ op, gfns: gfnList(step, i, file, script.vm.pages) }];
    return [{ op } as VmmOp];
  });
}

/** The TDX VM's model; a tree that lacks what the VM needs is the script's fault. */
function tdxSystem(file: string, config: KernelConfig): ReturnType<typeof systemModel> {
  try {
    return systemModel(config);
  } catch (err) {
    if (err instanceof TreeError)
      throw new ScriptError(
        err.message.startsWith('--module')
          ? `${file}: vm.module: ${err.message.replace(/^--module /, '')}`
          : `${file}: vm.tree: ${err.message.replace(/^--tree /, '')}`,
      );
    throw err;
  }
}

/** Runs `script`; `own` is the policy its vm.policy names when that is a file of the user's. */
export function runScript(script: Script, file: string, own?: PagePolicy): RunReport {
  const policy = own ?? bundledPolicy(script.vm.policy);
  if (!policy)
    throw new ScriptError(
      `${file}: vm.policy: unknown policy "${script.vm.policy}" (known: ${Object.keys(policies).join(', ')})`,
    );
  const ops = script.vm.type === 'tdx' ? vmmScript(script, file) : [];
  const system =
    script.vm.type === 'tdx'
      ? tdxSystem(file, {
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
            ...(script.vm.accept !== undefined ? { acceptLevel: script.vm.accept } : {}),
            // a HugeTLB folio is split and merged in place: conversion-rfc and hugepage-v3 do that
            ...(script.vm.hugeFolio > 1
              ? { needs: ['in-place-conversion', 'hugetlb'] as const }
              : {}),
          },
          policy,
          faults: {},
          hvo: script.vm.hvo,
          ...(script.vm.tree !== undefined ? { tree: script.vm.tree as TreeName } : {}),
          ...(script.vm.module !== undefined ? { module: script.vm.module as ModuleVersion } : {}),
        })
      : undefined;
  const driver = system ? new Driver(system.model) : undefined;
  const uapi = new GmemUapi(script.vm.type);
  const memslots = new KvmMemslots(uapi);
  /** plain memfds (memfd_create), by name: files of another kind than guest_memfd */
  const memfds = new Set<string>();
  const fds = new Map<string, number>();
  const fd = (step: Step, i: number) => {
    const name = String(step.fd ?? '');
    const n = fds.get(name);
    if (n === undefined)
      throw new ScriptError(
        `${file}: steps[${i}].fd: no guest_memfd named "${name}" was created before`,
      );
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
        const loop = createLoop(step, i, file);
        if (loop) {
          Object.assign(
            out,
            sameOutcome(loop.map((c) => createOnce(uapi, c, (fd) => uapi.close(fd)))),
          );
          break;
        }
        const size = numberArg(step, i, 'size', file);
        // The model keeps a record per page: larger files than any selftest's are refused.
        if (size > MAX_GMEM_SIZE)
          throw new ScriptError(
            `${file}: steps[${i}].size: the model takes guest_memfd files of at most ${MAX_GMEM_SIZE} bytes (1 GiB)`,
          );
        const r = uapi.create(size, flagBits(step.flags, GMEM_FLAGS, file, `steps[${i}].flags`));
        fromResult(r);
        if (r.ok) fds.set(String(step.as ?? 'fd'), r.value);
        break;
      }
      case 'fstat': {
        const r = uapi.fstat(fd(step, i));
        if (r.ok)
          Object.assign(out, {
            ret: 0,
            size: r.value.size,
            blksize: r.value.blksize,
            ino: r.value.ino,
          });
        else out.errno = r.errno;
        break;
      }
      case 'read':
      case 'write':
      case 'pread':
      case 'pwrite':
        fromResult(uapi.readWrite(fd(step, i), step.do.startsWith('p')));
        break;
      case 'check_extension':
        fromResult({ ok: true, value: capability(script.vm.type, String(step.cap), i, file) });
        break;
      case 'munmap':
        fd(step, i);
        out.ret = 0;
        break;
      case 'create_memfd':
        numberArg(step, i, 'size', file);
        memfds.add(String(step.as ?? 'memfd'));
        out.ret = 0;
        break;
      case 'set_memory_region':
        fromResult(
          memslots.set(
            memslotArgs(step, i, file, (name) =>
              memfds.has(name) ? NOT_GUEST_MEMFD : fds.get(name),
            ),
          ),
        );
        break;
      case 'run_guest':
        Object.assign(out, memslots.runCheckAndFill(...guestArgs(step, i, file)));
        break;
      case 'fallocate':
        fromResult(
          uapi.fallocate(
            fd(step, i),
            flagBits(step.mode, FALLOC_FL, file, `steps[${i}].mode`),
            numberArg(step, i, 'offset', file),
            numberArg(step, i, 'len', file),
          ),
        );
        break;
      case 'mmap':
        fromResult(uapi.mmap(fd(step, i), step.shared !== false));
        break;
      case 'access': {
        const r = uapi.access(
          fd(step, i),
          numberArg(step, i, 'offset', file),
          step.write === undefined ? undefined : numberArg(step, i, 'write', file),
          numberArg(step, i, 'length', file, 1),
        );
        if (r.ok) out.value = r.value;
        else out.signal = r.errno;
        break;
      }
      case 'close': {
        const n = fd(step, i);
        fromResult(uapi.close(n));
        memslots.release(n);
        break;
      }
      case 'check':
        break;
      default:
        if (closed) Object.assign(out, { ret: -1, errno: 'EBADF' });
        else if (step.do === 'run')
          Object.assign(out, runGuest(driver!, system!.kernel, step, i, file));
        else Object.assign(out, runVmmOp(driver!, system!.kernel));
        if (step.do === 'teardown') closed = true;
    }
    const checks = checkExpect(step.expect ?? {}, out, driver?.view(), (name) =>
      fds.has(name) ? uapi.inode(fds.get(name)!)?.inode : undefined,
    );
    return { index: i, do: step.do, outcome: outcomeText(out), answer: out, checks };
  });
  return {
    name: script.name,
    ...(script.source ? { source: script.source } : {}),
    steps: reports,
    passed: reports.every((r) => r.checks.every((c) => c.pass)),
    ...(system
      ? {
          tree: system.kernel.treeChoice.tree,
          hypothetical: system.kernel.treeChoice.hypothetical,
          ...(system.kernel.module !== '1.5' ? { module: system.kernel.module } : {}),
        }
      : {}),
  };
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
  const background = (a: Action) =>
    a.process === 'vmm-io' ||
    (a.process?.startsWith('vcpu') === true && a.where !== 'guest' && a.name !== 'tdx_vcpu_run');
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
  const last =
    d.log
      .slice(from)
      .filter((t) => t.action.process === 'vmm')
      .at(-1)?.call ?? '';
  const errno = d.state[v.vmmStatus] === S.EAGAIN ? 'EAGAIN' : / -> -(E[A-Z]+)$/.exec(last)?.[1];
  return { ret: errno ? -1 : 0, ...(errno ? { errno } : {}), ...(seamcall ? { seamcall } : {}) };
}

/** KVM_RUN on a vCPU with a guest program: each access or ACCEPT, with the faults it causes
 * served, until the program is done or KVM exits to userspace. */
function runGuest(d: Driver, k: Kernel, step: Step, i: number, file: string): Outcome {
  const v = k.v;
  const c = numberArg(step, i, 'vcpu', file, 0);
  if (c < 0 || c >= k.vcpus)
    throw new ScriptError(
      `${file}: steps[${i}].vcpu: expected a vCPU from 0 to ${k.vcpus - 1} (the VM has ${k.vcpus})`,
    );
  const proc = `vcpu${c}`;
  const program = (Array.isArray(step.guest) ? step.guest : []) as GuestOp[];
  const from = d.log.length;
  const calls = () => d.log.slice(from).map((t) => t.call);
  const kernelSteps = (a: Action) =>
    a.process === proc && a.where !== 'guest' && a.name !== 'tdx_vcpu_run';
  for (const [j, ins] of program.entries()) {
    const forms =
      'expected { accept: gfn, level?: 4k|2m }, { touch: gfn }, { write: gfn } or { mapgpa: gfn, shared: bool }';
    if (typeof ins !== 'object' || ins === null)
      throw new ScriptError(`${file}: steps[${i}].guest[${j}]: ${forms}`);
    if ('mapgpa' in ins) {
      // TDG.VP.VMCALL<MapGPA>: KVM exits to userspace (tdx_map_gpa), which converts.
      if (d.state[v.inGuest + c]) d.step((a) => a.process === proc && a.name.startsWith('TD exit'));
      return {
        exit: 'KVM_EXIT_HYPERCALL',
        gpa: ins.mapgpa * PAGE_SIZE,
        flags: ['KVM_HC_MAP_GPA_RANGE', ins.shared ? 'DECRYPTED' : 'ENCRYPTED'],
      };
    }
    const kind =
      'accept' in ins
        ? 'TDG.MEM.PAGE.ACCEPT'
        : 'write' in ins
          ? 'guest write'
          : 'touch' in ins
            ? 'guest access before ACCEPT'
            : undefined;
    const g =
      'accept' in ins ? ins.accept : 'write' in ins ? ins.write : 'touch' in ins ? ins.touch : NaN;
    const level = 'accept' in ins ? ins.level : undefined;
    if (
      !kind ||
      !Number.isInteger(g) ||
      g < 0 ||
      g >= k.gfns ||
      ![undefined, '4k', '2m'].includes(level)
    )
      throw new ScriptError(
        `${file}: steps[${i}].guest[${j}]: ${forms} with a GFN below ${k.gfns}`,
      );
    // the ACCEPT at the level the program says (its trace names a 2M one `level=2M`)
    const atLevel = (call: string) =>
      level === undefined || call.includes('level=2M') === (level === '2m');
    for (let n = 0; ; n++) {
      if (n > 100) return { exit: 'stuck', seamcall: seamcallOf(calls()) ?? '' };
      if (!d.state[v.inGuest + c]) {
        // Serve a pending fault first; a fault that ends in userspace ends KVM_RUN.
        while (d.state[v.vcpuPc + c] !== VCPU_IDLE)
          if (!d.step(kernelSteps)) return { exit: 'stuck' };
        const st = d.state[v.vcpuStatus + c]!;
        const exit = n > 0 ? exitOf(st) : undefined; // before the first try, nothing has faulted
        if (exit)
          return {
            ...exit,
            gpa: g * PAGE_SIZE,
            ...(seamcallOf(calls()) ? { seamcall: seamcallOf(calls())! } : {}),
          };
        if (!d.step((a) => a.process === proc && a.name === 'tdx_vcpu_run'))
          return { exit: 'EIO', errno: 'EIO' }; // the VM is dead
        // a touch before ACCEPT, once KVM mapped the page: its retry meets a PENDING page, and
        // the guest's #VE handler accepts it, which is the program's next instruction
        if (n > 0 && 'touch' in ins) break;
        continue;
      }
      const touched = d.step(
        (a) => a.process === proc && a.name.startsWith(kind),
        (a, next) => {
          const call = a.explain?.(d.state, next) ?? '';
          return call.includes(`gpa=${gpa(g)}`) && atLevel(call);
        },
      );
      // A script's guest may touch any GFN its VM has (no accepted-first rule, no poison):
      // every touch is enabled in the guest, so a refusal is a model error.
      if (!touched)
        throw new Error(
          `${file}: steps[${i}].guest[${j}]: the model did not let the guest touch gpa ${gpa(g)}`,
        );
      if (d.state[v.inGuest + c]) break; // the instruction completed in the guest
      // An exit KVM answers without a fault (the VM killed): KVM_RUN returns its errno.
      const exit =
        d.state[v.vcpuPc + c] === VCPU_IDLE ? exitOf(d.state[v.vcpuStatus + c]!) : undefined;
      if (exit) return { ...exit, gpa: g * PAGE_SIZE };
      const pc = d.state[v.vcpuPc + c];
      if (pc !== FAULT_PFN && pc !== FAULT_ACCEPT_LEVEL) return { exit: 'stuck' };
    }
  }
  d.step((a) => a.process === proc && a.name.startsWith('TD exit')); // GUEST_DONE: the guest halts
  const seamcall = seamcallOf(calls());
  return { exit: 'done', ...(seamcall ? { seamcall } : {}) };
}

/** How a fault that ended outside the guest shows up to userspace. */
function exitOf(status: number): Outcome | undefined {
  if (status === S.MEMORY_FAULT)
    return { exit: 'KVM_EXIT_MEMORY_FAULT', flags: ['KVM_MEMORY_EXIT_FLAG_PRIVATE'] };
  if (status === S.EHWPOISON) return { exit: 'EHWPOISON', errno: 'EHWPOISON' };
  if (status === S.EIO) return { exit: 'EIO', errno: 'EIO' };
  return undefined;
}

/** Each expectation of a step against what it produced; `inoOf` gives a named file's inode. */
export function checkExpect(
  e: Expect,
  out: Outcome,
  view: Record<string, unknown> | undefined,
  inoOf: (name: string) => number | undefined,
): CheckResult[] {
  const checks: CheckResult[] = [];
  const eq = (what: string, expected: unknown, actual: unknown) =>
    checks.push({
      what,
      expected,
      actual: actual ?? null,
      pass: JSON.stringify(expected) === JSON.stringify(actual ?? null),
    });
  if (e.ret !== undefined) eq('ret', e.ret, out.errno ? `-${out.errno}` : out.ret);
  if (e.errno !== undefined) eq('errno', e.errno, out.errno);
  if (e.fails !== undefined)
    eq('fails', e.fails, out.errno !== undefined || out.signal !== undefined);
  if (e.signal !== undefined) eq('signal', e.signal, out.signal);
  if (e.value !== undefined) eq('value', e.value, out.value);
  if (e.size !== undefined) eq('size', e.size, out.size);
  if (e.blksize !== undefined) eq('blksize', e.blksize, out.blksize);
  if (e.inoNot !== undefined) {
    const other = inoOf(e.inoNot);
    checks.push({
      what: 'inode',
      expected: `not that of ${e.inoNot}`,
      actual: out.ino ?? null,
      pass: out.ino !== undefined && other !== undefined && out.ino !== other,
    });
  }
  if (e.exit !== undefined) eq('exit', e.exit, out.exit);
  if (e.gpa !== undefined) eq('gpa', e.gpa, out.gpa);
  if (e.flags !== undefined) eq('flags', e.flags, out.flags);
  if (e.seamcall !== undefined) eq('seamcall', e.seamcall, out.seamcall);
  for (const [fact, want] of Object.entries(e.facts ?? {})) eq(fact, want, view?.[fact]);
  return checks;
}

/** guest_memfd's flags by the names scripts use (include/uapi/linux/kvm.h). */
export const GMEM_FLAGS = {
  MMAP: GUEST_MEMFD_FLAG_MMAP,
  INIT_SHARED: GUEST_MEMFD_FLAG_INIT_SHARED,
};

export interface CreateCase {
  readonly size: number;
  readonly flags: number;
}

/** A create_guest_memfd looped as the selftests loop it: every size of `each_size: [from, to]`
 * (test_create_guest_memfd_invalid_sizes) or every single bit of `each_flag_bit: [from, to]`
 * (test_guest_memfd_flags, bits up to 63), with the step's other argument fixed. */
export function createLoop(step: Step, i: number, file: string): CreateCase[] | undefined {
  const range = (name: string, max: number): [number, number] | undefined => {
    const r = step[name];
    if (r === undefined) return undefined;
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every((x) => Number.isInteger(x) && x >= 0 && x <= max) ||
      r[0] > r[1]
    )
      throw new ScriptError(
        `${file}: steps[${i}].${name}: expected [from, to], integers from 0 to ${max}`,
      );
    return r as [number, number];
  };
  const sizes = range('each_size', 1 << 20);
  const bits = range('each_flag_bit', 63);
  if (!sizes && !bits) return undefined;
  const span = ([a, b]: [number, number]) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
  if (sizes)
    return span(sizes).map((size) => ({
      size,
      flags: flagBits(step.flags, GMEM_FLAGS, file, `steps[${i}].flags`),
    }));
  return span(bits!).map((b) => ({ size: numberArg(step, i, 'size', file), flags: 2 ** b }));
}

/** One create of a loop; a file it makes is closed again (as test_guest_memfd_flags does). */
export function createOnce(
  api: { create(size: number, flags: number): Result },
  c: CreateCase,
  close: (fd: number) => unknown,
): Outcome {
  const r = api.create(c.size, c.flags);
  if (!r.ok) return { errno: r.errno };
  close(r.value);
  return { ret: 0 };
}

/** A loop's answer: the common outcome, or the first case that differs. */
export function sameOutcome(outs: readonly Outcome[]): Outcome {
  const first = JSON.stringify(outs[0]);
  const other = outs.findIndex((o) => JSON.stringify(o) !== first);
  return other < 0
    ? outs[0]!
    : { ...outs[0], differs: `case ${other}: ${outcomeText(outs[other]!)}` };
}

/** KVM_CHECK_EXTENSION on the VM, as the model answers it. */
function capability(vmType: 'default' | 'tdx', cap: string, i: number, file: string): number {
  // kvm_main.c kvm_vm_ioctl_check_extension_generic: KVM_CAP_GUEST_MEMFD is 1 where guest_memfd
  // is built in; KVM_CAP_GUEST_MEMFD_FLAGS is kvm_gmem_get_supported_flags(kvm).
  if (cap === 'GUEST_MEMFD') return 1;
  if (cap === 'GUEST_MEMFD_FLAGS') return supportedFlags(vmType);
  throw new ScriptError(`${file}: steps[${i}].cap: expected GUEST_MEMFD or GUEST_MEMFD_FLAGS`);
}

/** Descriptors a memslot may name that are not guest_memfd files: the KVM fd and the VM fd
 * (set_memory_region_test.c test_add_private_memory_region binds both, and a plain memfd). */
export const OTHER_FDS = ['kvm', 'vm'] as const;

/** The arguments of set_memory_region: slot, gpa, size, and either fd (+ offset) or anonymous.
 * `fdOf` gives a guest_memfd's descriptor, or NOT_GUEST_MEMFD for a file of another kind. */
export function memslotArgs(
  step: Step,
  i: number,
  file: string,
  fdOf: (name: string) => number | undefined,
): MemslotArgs {
  const base = {
    slot: numberArg(step, i, 'slot', file),
    gpa: numberArg(step, i, 'gpa', file),
    size: numberArg(step, i, 'size', file),
  };
  if (step.anonymous === true) return { ...base, anonymous: true };
  if (step.fd === undefined) return base;
  const fdNum = (OTHER_FDS as readonly string[]).includes(String(step.fd))
    ? NOT_GUEST_MEMFD
    : fdOf(String(step.fd));
  if (fdNum === undefined)
    throw new ScriptError(
      `${file}: steps[${i}].fd: no guest_memfd named "${String(step.fd)}" was created before`,
    );
  return { ...base, gmem: { fd: fdNum, offset: numberArg(step, i, 'offset', file, 0) } };
}

/** The arguments of run_guest: the range the guest checks holds `expect` and then fills. */
export function guestArgs(
  step: Step,
  i: number,
  file: string,
): [gpa: number, size: number, expect: number, fill: number] {
  const a = (['gpa', 'size', 'expect_byte', 'fill'] as const).map((n) =>
    numberArg(step, i, n, file),
  ) as [number, number, number, number];
  // The guest is 16-bit real-mode code (src/host/realmode.ts): its addresses stay below 64 KiB.
  if (a[0] < 0 || a[1] <= 0 || a[0] + a[1] > 0x10000 || a[2] > 0xff || a[3] > 0xff)
    throw new ScriptError(
      `${file}: steps[${i}]: run_guest needs gpa + size within 64 KiB and bytes below 256`,
    );
  return a;
}

export function outcomeText(o: Outcome): string {
  const parts: string[] = [];
  if (o.exit)
    parts.push(
      `exit ${o.exit}${o.gpa !== undefined ? ` gpa=0x${o.gpa.toString(16)}` : ''}${o.flags ? ` flags=${o.flags.join('|')}` : ''}${o.port !== undefined ? ` port=0x${o.port.toString(16)} value=0x${(o.value ?? 0).toString(16)}` : ''}${o.errno ? ` (-${o.errno})` : ''}`,
    );
  else if (o.errno) parts.push(`-${o.errno}`);
  else if (o.signal) parts.push(o.signal);
  else if (o.value !== undefined)
    parts.push(o.value < 0 ? 'read bytes that differ' : `read 0x${o.value.toString(16)}`);
  else if (o.size !== undefined) parts.push(`st_size ${o.size}, st_blksize ${o.blksize}`);
  else if (o.ret !== undefined) parts.push(`returns ${o.ret}`);
  if (o.seamcall) parts.push(o.seamcall);
  if (o.differs) parts.push(`but ${o.differs}`);
  return parts.join(', ') || 'done';
}
