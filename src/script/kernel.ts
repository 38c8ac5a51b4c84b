/**
 * A default-VM script run on the running kernel through src/host, step by step beside the model
 * (run.ts): each step's kernel answer is compared with the model's, and the script's expectations
 * are checked against the kernel's answer. Everything a step cannot run on a default VM is refused
 * before anything is created; every descriptor and mapping is given back whatever happens.
 */
import { checkAndFill } from '../host/realmode.js';
import {
  KVM_CAP,
  KVM_MEM_GUEST_MEMFD,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  KVM_X86_DEFAULT_VM,
  Kvm,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  check,
  kernelRelease,
  libc,
  withSession,
  type Mapping,
  type KvmApi,
  type Result,
  type Session,
  type Vcpu,
} from '../host/index.js';
import { GUEST_ASSERT_PORT } from '../kernel/kvm_memslots.js';
import {
  checkExpect,
  createLoop,
  createOnce,
  FALLOC_FL,
  flagBits,
  GMEM_FLAGS,
  guestArgs,
  sameOutcome,
  memslotArgs,
  outcomeText,
  runScript,
  type CheckResult,
  type Outcome,
  type RunReport,
} from './run.js';
import { defaultVmOps, fileOps, numberArg, ScriptError, type Script, type Step } from './schema.js';

/** The kernel tree the default-VM model is read from, and how the running kernel relates to it. */
export const MODEL_TREE = { name: 'v6.18', major: 6, minor: 18 } as const;

export interface KernelStep {
  readonly index: number;
  readonly do: string;
  readonly kernel: string;
  readonly model: string;
  readonly agree: boolean;
  /** the script's expectations, checked against the kernel's answer */
  readonly checks: CheckResult[];
}

export interface Disagreement {
  readonly step: number;
  readonly do: string;
  readonly kernel: string;
  readonly model: string;
}

export interface KernelReport {
  readonly name: string;
  readonly source?: string;
  readonly steps: KernelStep[];
  readonly kernel: {
    readonly release: string;
    readonly tree: string;
    /** where the running kernel stands against the tree: a disagreement may come from that */
    readonly relation: 'same' | 'newer' | 'older';
    readonly checked: number;
    readonly mismatches: number;
    readonly disagreements: Disagreement[];
  };
  /** the kernel agrees with the model at every step and meets every expectation */
  readonly passed: boolean;
}

/** The host cannot run the script at all (no /dev/kvm, no VM): a reason, not a result. */
export class KernelUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelUnavailable';
  }
}

const kernelOps: readonly string[] = [...fileOps, ...defaultVmOps];

/** Refuses, in one line naming the step, a script the kernel cannot run on a default VM. Runs
 * before anything is created. */
export function kernelRefusal(script: Script, file: string): void {
  const bad = script.steps.findIndex((s) => !kernelOps.includes(s.do));
  if (bad >= 0)
    throw new ScriptError(
      `${file}: steps[${bad}].do: "${script.steps[bad]!.do}" cannot run on the kernel: it needs a TDX VM, and the kernel oracle runs a default VM (KVM_X86_DEFAULT_VM; this host has no TDX module)`,
    );
  if (script.vm.type !== 'default')
    throw new ScriptError(
      `${file}: vm.type: the kernel oracle runs default VMs only (KVM_X86_DEFAULT_VM), not ${script.vm.type}`,
    );
  script.steps.forEach((step, i) => {
    if (step.do !== 'run_guest') return;
    guestArgs(step, i, file);
    const code = script.steps
      .slice(0, i)
      .some(
        (s) =>
          s.do === 'set_memory_region' &&
          s.anonymous === true &&
          s.gpa === 0 &&
          typeof s.size === 'number' &&
          s.size >= 4096,
      );
    if (!code)
      throw new ScriptError(
        `${file}: steps[${i}].do: run_guest needs an earlier set_memory_region with anonymous: true at gpa 0 (its code lives there)`,
      );
  });
}

/** The running kernel's release against the model's tree. */
export function relationTo(release: string): 'same' | 'newer' | 'older' {
  const [major, minor] = release.split(/[.-]/).map(Number) as [number, number];
  const diff = major !== MODEL_TREE.major ? major - MODEL_TREE.major : minor - MODEL_TREE.minor;
  return diff === 0 ? 'same' : diff > 0 ? 'newer' : 'older';
}

/** What of an answer is compared: which descriptor number or address the kernel picked is its
 * own choice, and so is an inode number. */
function comparable(op: string, o: Outcome): string {
  const { ino: _ino, seamcall: _seamcall, ...rest } = o;
  if ((op === 'create_guest_memfd' || op === 'mmap') && rest.ret !== undefined) rest.ret = 0;
  return JSON.stringify(
    Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))),
  );
}

/** Step by step, the kernel's answers beside the model's. */
export function compareAnswers(
  script: Script,
  model: RunReport,
  kernel: readonly Outcome[],
  checks: readonly CheckResult[][],
  release: string,
): KernelReport {
  const steps = script.steps.map((step, i): KernelStep => {
    const m = model.steps[i]!;
    const k = kernel[i]!;
    return {
      index: i,
      do: step.do,
      kernel: outcomeText(k),
      model: m.outcome,
      agree: comparable(step.do, k) === comparable(step.do, m.answer),
      checks: checks[i]!,
    };
  });
  const disagreements = steps
    .filter((s) => !s.agree)
    .map((s) => ({ step: s.index, do: s.do, kernel: s.kernel, model: s.model }));
  return {
    name: script.name,
    ...(script.source ? { source: script.source } : {}),
    steps,
    kernel: {
      release,
      tree: MODEL_TREE.name,
      relation: relationTo(release),
      checked: steps.length,
      mismatches: disagreements.length,
      disagreements,
    },
    passed: disagreements.length === 0 && steps.every((s) => s.checks.every((c) => c.pass)),
  };
}

export interface KernelRunOptions {
  /** the model's run to compare with (default: the model's own run of the script); a test passes
   * a deliberately wrong one */
  readonly model?: RunReport;
  readonly device?: string;
  /** opens KVM in the session (default: /dev/kvm); a test on a machine without KVM passes a
   * stand-in to run the steps' own code on ordinary files */
  readonly open?: (s: Session) => Result<KvmApi>;
}

/** Runs the script on the kernel and compares. Throws ScriptError (bad input, before anything is
 * created) or KernelUnavailable (no /dev/kvm or no VM). */
export function runOnKernel(
  script: Script,
  file: string,
  options: KernelRunOptions = {},
): KernelReport {
  kernelRefusal(script, file);
  const model = options.model ?? runScript(script, file); // checks every argument before the kernel is touched
  const release = kernelRelease();
  return withSession((s) => {
    const kvm = options.open ? options.open(s) : Kvm.open(s, options.device);
    if (!kvm.ok)
      throw new KernelUnavailable(
        `cannot open ${options.device ?? '/dev/kvm'}: ${kvm.errno} (Linux ${release})`,
      );
    const vm = kvm.value.createVm(KVM_X86_DEFAULT_VM);
    if (!vm.ok) throw new KernelUnavailable(`KVM_CREATE_VM failed: ${vm.errno} (Linux ${release})`);
    const host = new KernelSteps(s, kvm.value, vm.value, file);
    const answers: Outcome[] = [];
    const checks: CheckResult[][] = [];
    script.steps.forEach((step, i) => {
      const out = host.run(step, i);
      answers.push(out);
      checks.push(checkExpect(step.expect ?? {}, out, undefined, (name) => host.inode(name)));
    });
    return compareAnswers(script, model, answers, checks, release);
  });
}

const fromResult = (r: Result): Outcome => (r.ok ? { ret: r.value } : { errno: r.errno });

/** The kernel side of each operation: descriptors and mappings by the script's names. */
class KernelSteps {
  private readonly files = new Map<string, { fd: number; size: number; open: boolean }>();
  private readonly memfds = new Map<string, { fd: number; open: boolean }>();
  private readonly mappings = new Map<string, Mapping>();
  private readonly anonymous = new Map<number, Mapping>();
  private vcpu: Vcpu | undefined;

  constructor(
    private readonly s: Session,
    private readonly kvm: KvmApi,
    private readonly vm: number,
    private readonly file: string,
  ) {}

  inode(name: string): number | undefined {
    const f = this.files.get(name);
    const st = f?.open ? this.s.fstat(f.fd) : undefined; // a closed file's number may be another's now
    return st?.ok ? st.value.ino : undefined;
  }

  run(step: Step, i: number): Outcome {
    const name = String(step.fd ?? '');
    const f = this.files.get(name);
    // A name the model accepted always has a file here; a closed one answers EBADF like the model.
    const fd = f?.open ? f.fd : -1;
    const n = (arg: string, fallback?: number) => numberArg(step, i, arg, this.file, fallback);
    const buf = Buffer.alloc(64);
    switch (step.do) {
      case 'check_extension':
        return fromResult(
          this.kvm.checkExtension(
            step.cap === 'GUEST_MEMFD' ? KVM_CAP.GUEST_MEMFD : KVM_CAP.GUEST_MEMFD_FLAGS,
            this.vm,
          ),
        );
      case 'create_guest_memfd': {
        const loop = createLoop(step, i, this.file);
        if (loop) {
          const api = {
            create: (size: number, flags: number) =>
              this.kvm.createGuestMemfd(this.vm, size, flags),
          };
          return sameOutcome(loop.map((c) => createOnce(api, c, (fd) => this.s.close(fd))));
        }
        const r = this.kvm.createGuestMemfd(
          this.vm,
          n('size'),
          flagBits(step.flags, GMEM_FLAGS, this.file, `steps[${i}].flags`),
        );
        if (r.ok)
          this.files.set(String(step.as ?? 'fd'), { fd: r.value, size: n('size'), open: true });
        return fromResult(r);
      }
      case 'fstat': {
        const r = this.s.fstat(fd);
        return r.ok ? { ret: 0, ...r.value } : { errno: r.errno };
      }
      case 'read':
        return fromResult(check(libc().read(fd, buf, buf.length)));
      case 'write':
        return fromResult(check(libc().write(fd, buf, buf.length)));
      case 'pread':
        return fromResult(check(libc().pread(fd, buf, buf.length, 0)));
      case 'pwrite':
        return fromResult(check(libc().pwrite(fd, buf, buf.length, 0)));
      case 'fallocate':
        return fromResult(
          check(
            libc().fallocate(
              fd,
              flagBits(step.mode, FALLOC_FL, this.file, `steps[${i}].mode`),
              n('offset'),
              n('len'),
            ),
          ),
        );
      case 'mmap': {
        const r = this.s.mmap(
          n('length', f?.size ?? 4096),
          PROT_READ | PROT_WRITE,
          step.shared === false ? MAP_PRIVATE : MAP_SHARED,
          fd,
        );
        if (!r.ok) return { errno: r.errno };
        this.mappings.set(name, r.value);
        return { ret: 0 };
      }
      case 'munmap': {
        const m = this.mappings.get(name);
        this.mappings.delete(name);
        return m ? fromResult(this.s.munmap(m)) : { errno: 'EINVAL' };
      }
      case 'access':
        return this.access(
          name,
          n('offset'),
          step.write === undefined ? undefined : n('write'),
          n('length', 1),
        );
      case 'close': {
        if (!f?.open) return { errno: 'EBADF' };
        f.open = false;
        return fromResult(this.s.close(f.fd));
      }
      case 'create_memfd': {
        const r = this.s.adopt(check(libc().memfdCreate('septcheck', 0)));
        if (r.ok) {
          libc().ftruncate(r.value, n('size'));
          this.memfds.set(String(step.as ?? 'memfd'), { fd: r.value, open: true });
        }
        return r.ok ? { ret: 0 } : { errno: r.errno };
      }
      case 'set_memory_region':
        return this.setMemoryRegion(step, i);
      case 'run_guest':
        return this.runGuest(step, i);
      default:
        throw new ScriptError(
          `${this.file}: steps[${i}].do: "${step.do}" cannot run on the kernel`,
        ); // kernelRefusal stops these first
    }
  }

  /** A load (or a store, then a load) through the file's mapping; EFAULT from the copy is where a
   * CPU access would have raised SIGBUS (or SIGSEGV outside the mapping). */
  private access(name: string, offset: number, write: number | undefined, length: number): Outcome {
    const m = this.mappings.get(name);
    if (!m) return { signal: 'SIGSEGV' };
    const addr = m.addr + offset;
    const fault = (at: number): Outcome => ({ signal: at < m.length ? 'SIGBUS' : 'SIGSEGV' });
    if (write !== undefined) {
      const w = this.s.store(addr, write, length);
      if (!w.ok) return w.errno === 'EFAULT' ? fault(offset) : { errno: w.errno };
      if (w.value < length) return fault(offset + w.value);
    }
    const r = this.s.load(addr, length);
    if (!r.ok) return r.errno === 'EFAULT' ? fault(offset) : { errno: r.errno };
    if (r.value.length < length) return fault(offset + r.value.length);
    // One value when every byte read is the same (the model keeps one byte per page), else -1.
    return { value: r.value.every((b) => b === r.value[0]) ? r.value[0]! : -1 };
  }

  /** The descriptor a memslot names: a guest_memfd (-1 once closed), the KVM or the VM fd, or a
   * plain memfd. */
  private bindFd(name: string): number {
    if (name === 'kvm') return this.kvm.fd;
    if (name === 'vm') return this.vm;
    const f = this.files.get(name) ?? this.memfds.get(name);
    return f?.open ? f.fd : -1;
  }

  private setMemoryRegion(step: Step, i: number): Outcome {
    const a = memslotArgs(step, i, this.file, (name) =>
      this.files.has(name) || this.memfds.has(name) ? 0 : undefined,
    );
    let userspaceAddr = 0;
    if (a.anonymous && a.size > 0) {
      const m = this.s.mmap(a.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
      if (!m.ok) return { errno: m.errno };
      this.anonymous.set(a.gpa, m.value);
      userspaceAddr = m.value.addr;
    }
    return fromResult(
      this.kvm.setUserMemoryRegion2(this.vm, {
        slot: a.slot,
        flags: a.gmem ? KVM_MEM_GUEST_MEMFD : 0,
        gpa: a.gpa,
        size: a.size,
        userspaceAddr,
        guestMemfd: a.gmem ? this.bindFd(String(step.fd)) : -1,
        guestMemfdOffset: a.gmem?.offset ?? 0,
      }),
    );
  }

  /** test_guest_memfd_guest's guest, as real-mode code at GPA 0 (the anonymous slot), run once. */
  private runGuest(step: Step, i: number): Outcome {
    const [gpa, size, expect, fill] = guestArgs(step, i, this.file);
    const code = this.anonymous.get(0)!; // kernelRefusal made sure an anonymous slot at 0 comes first
    const program = checkAndFill(gpa, size, expect, fill, GUEST_ASSERT_PORT);
    libc().copyTo(code.addr, program, program.length);
    if (!this.vcpu) {
      const v = this.kvm.createVcpu(this.vm, 0);
      if (!v.ok) return { errno: v.errno, exit: 'KVM_CREATE_VCPU failed' };
      this.vcpu = v.value;
    }
    const entered = this.kvm.enterRealMode(this.vcpu, 0);
    if (!entered.ok) return { errno: entered.errno, exit: 'KVM_SET_REGS failed' };
    const e = this.kvm.run(this.vcpu);
    return {
      exit: e.exit,
      ...(e.errno ? { errno: e.errno } : {}),
      ...(e.gpa !== undefined ? { gpa: e.gpa } : {}),
      ...(e.port !== undefined ? { port: e.port, value: e.value! } : {}),
      ...(e.flags
        ? {
            flags:
              e.flags & KVM_MEMORY_ATTRIBUTE_PRIVATE
                ? ['KVM_MEMORY_EXIT_FLAG_PRIVATE']
                : [`0x${e.flags.toString(16)}`],
          }
        : {}),
    };
  }
}
