/**
 * A scripted run: a VM, then operations of the VMM and the guest in order, each with what it is
 * expected to return. Scripts are YAML or JSON; this module checks their shape and says, in one
 * line, which field of which file is wrong.
 */
import { moduleVersions } from '../kernel/module.js';
import { acceptLevels, type AcceptLevel } from '../kernel/config.js';
import { isTreeName, treeNames } from '../kernel/trees.js';
import { createRequire } from 'node:module';

/** YAML's parser, loaded on first use: a sixth of the command's start-up time otherwise. */
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

/** What a step is expected to produce; only the fields given are checked. */
export interface Expect {
  /** a syscall or ioctl's return value */
  readonly ret?: number;
  /** the errno it fails with (EINVAL, ...) */
  readonly errno?: string;
  /** it fails, whatever the errno */
  readonly fails?: boolean;
  /** a userspace access is killed by this signal */
  readonly signal?: string;
  /** a byte read through a mapping */
  readonly value?: number;
  /** fstat fields */
  readonly size?: number;
  readonly blksize?: number;
  /** fstat: the inode differs from that of this named fd */
  readonly inoNot?: string;
  /** KVM_RUN: how the run ended: done (the guest finished its program), or a KVM exit reason */
  readonly exit?: string;
  readonly gpa?: number;
  readonly flags?: readonly string[];
  /** the status of the SEAMCALL the step made */
  readonly seamcall?: string;
  /** facts of the model's state after the step (names as `septcheck explain` prints them) */
  readonly facts?: Readonly<Record<string, string>>;
}

export type GuestOp =
  /** TDG.MEM.PAGE.ACCEPT of a page, at the level given (a huge range on hugepage-v3), else at
   * the first level the VM's guest (`vm.accept`) has */
  | { readonly accept: number; readonly level?: '4k' | '2m' }
  /** a non-Linux guest's access to a page before it accepted it (not `vm.accept: linux`) */
  | { readonly touch: number }
  | { readonly write: number }
  | { readonly mapgpa: number; readonly shared: boolean };

export type Step = {
  readonly do: string;
  readonly expect?: Expect;
  readonly [arg: string]: unknown;
};

export interface Script {
  readonly name: string;
  /** where the expectations come from: a selftest file and function, with a kernel version */
  readonly source?: string;
  readonly vm: {
    readonly type: 'default' | 'tdx';
    readonly pages: number;
    readonly hugeFolio: number;
    readonly vcpus: number;
    readonly hvo: boolean;
    readonly policy: string;
    /** the kernel tree a TDX VM models (src/kernel/trees.ts); absent: the design's or the
     * one the VM needs */
    readonly tree?: string;
    /** the TDX module a TDX VM models (src/kernel/module.ts); absent: 1.5 */
    readonly module?: string;
    /** the level the guest accepts a huge range at (config.ts); absent: linux */
    readonly accept?: AcceptLevel;
  };
  readonly steps: readonly Step[];
}

export const fileOps = [
  'create_guest_memfd',
  'fstat',
  'read',
  'write',
  'fallocate',
  'mmap',
  'access',
  'close',
] as const;
/** A default VM's own operations (src/kernel/kvm_memslots.ts), also run on the real kernel. */
export const defaultVmOps = [
  'check_extension',
  'pread',
  'pwrite',
  'munmap',
  'create_memfd',
  'set_memory_region',
  'run_guest',
] as const;
export const tdxOps = [
  'init_mem_region',
  'finalize',
  'run',
  'punch_hole',
  'convert',
  'gup',
  'teardown',
  'check',
] as const;

const expectFields: Record<keyof Expect, string> = {
  ret: 'number',
  errno: 'string',
  fails: 'boolean',
  signal: 'string',
  value: 'number',
  size: 'number',
  blksize: 'number',
  inoNot: 'string',
  exit: 'string',
  gpa: 'number',
  flags: 'array',
  seamcall: 'string',
  facts: 'object',
};

function typeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Parses and checks a script's text; `file` names it in errors. */
export function parseScript(text: string, file: string): Script {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScriptError(
      `${file}: not ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`,
    );
  }
  const at = (path: string, message: string) => new ScriptError(`${file}: ${path}: ${message}`);
  if (typeOf(raw) !== 'object') throw at('(top)', 'expected a mapping with name, vm and steps');
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string') throw at('name', 'expected a string');
  if (r.source !== undefined && typeof r.source !== 'string')
    throw at('source', 'expected a string');
  const vm = (r.vm ?? {}) as Record<string, unknown>;
  if (typeOf(vm) !== 'object') throw at('vm', 'expected a mapping');
  const type = vm.type ?? 'tdx';
  if (type !== 'default' && type !== 'tdx')
    throw at('vm.type', `expected default or tdx, got ${JSON.stringify(type)}`);
  const int = (name: string, value: unknown, fallback: number, min: number, max: number) => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw at(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v;
  };
  const pages = int('vm.pages', vm.pages, 2, 1, 8);
  const treeName = (t: unknown) => {
    if (typeof t !== 'string' || !isTreeName(t))
      throw at('vm.tree', `expected one of ${treeNames.join(', ')}, got ${JSON.stringify(t)}`);
    return t;
  };
  // YAML reads `module: 2.0` as the number 2
  const moduleName = (m: unknown) => {
    const text = typeof m === 'number' ? m.toFixed(1) : m;
    if (typeof text !== 'string' || !(moduleVersions as readonly string[]).includes(text))
      throw at(
        'vm.module',
        `expected one of ${moduleVersions.join(', ')}, got ${JSON.stringify(m)}`,
      );
    return text;
  };
  const acceptName = (a: unknown) => {
    if (!(acceptLevels as readonly unknown[]).includes(a))
      throw at('vm.accept', `expected one of ${acceptLevels.join(', ')}, got ${JSON.stringify(a)}`);
    return a as AcceptLevel;
  };
  const script: Script = {
    name: r.name,
    ...(r.source !== undefined ? { source: r.source as string } : {}),
    vm: {
      type,
      pages,
      hugeFolio: int('vm.hugeFolio', vm.hugeFolio, 1, 1, pages),
      vcpus: int('vm.vcpus', vm.vcpus, 1, 1, 4),
      hvo: vm.hvo === undefined ? false : vm.hvo === true,
      policy: typeof vm.policy === 'string' ? vm.policy : 'nopin',
      ...(vm.tree !== undefined ? { tree: treeName(vm.tree) } : {}),
      ...(vm.module !== undefined ? { module: moduleName(vm.module) } : {}),
      ...(vm.accept !== undefined ? { accept: acceptName(vm.accept) } : {}),
    },
    steps: [],
  };
  if (!Array.isArray(r.steps) || r.steps.length === 0)
    throw at('steps', 'expected a non-empty list');
  const known = type === 'tdx' ? [...fileOps, ...tdxOps] : [...fileOps, ...defaultVmOps];
  const steps = r.steps.map((s, i): Step => {
    const path = `steps[${i}]`;
    if (typeOf(s) !== 'object') throw at(path, 'expected a mapping with "do"');
    const step = s as Record<string, unknown>;
    if (typeof step.do !== 'string') throw at(`${path}.do`, 'expected the name of an operation');
    if (!(known as readonly string[]).includes(step.do))
      throw at(
        `${path}.do`,
        `unknown operation "${step.do}" for a ${type} VM (known: ${known.join(', ')})`,
      );
    if (step.expect !== undefined) {
      if (typeOf(step.expect) !== 'object') throw at(`${path}.expect`, 'expected a mapping');
      for (const [k, v] of Object.entries(step.expect as Record<string, unknown>)) {
        const want = expectFields[k as keyof Expect];
        if (!want)
          throw at(
            `${path}.expect.${k}`,
            `unknown expectation (known: ${Object.keys(expectFields).join(', ')})`,
          );
        if (typeOf(v) !== want)
          throw at(`${path}.expect.${k}`, `expected a ${want}, got ${JSON.stringify(v)}`);
      }
    }
    return step as Step;
  });
  return { ...script, steps };
}

/** Reads a numeric argument of a step, or says which field is missing. */
export function numberArg(
  step: Step,
  index: number,
  name: string,
  file: string,
  fallback?: number,
): number {
  const v = step[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ScriptError(`${file}: steps[${index}].${name}: expected an integer`);
  return v;
}
