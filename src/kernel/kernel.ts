import type { State } from '../engine/index.js';
import {
  PolicyError,
  type PagePolicy,
  type PolicyContext,
  type ZapSeamcallName,
} from '../policies/policy.js';
import type { KernelConfig, Mutation } from './config.js';
import { Mm } from './folio.js';
import { frameOf } from './frames.js';
import { kernelLocks, type Locks } from './locks.js';
import { S, Seam, statuses } from './seam.js';
import { resolveModule, type ModuleVersion } from './module.js';
import { TdxPamt } from './tdx_pamt.js';
import { resolveTree, switchesOf, type Switches, type TreeChoice } from './trees.js';
import { Vars } from './vars.js';
import { VmmScript } from './vmm_script.js';

/** The policy's hooks as the kernel calls them, with the GFN whose page it is (the policy gets
 * the GFN's frame): bound to the policy's narrow context, each hook that changes state checked not to have written a variable this scenario leaves out of
 * the state (vars.ts): such a write would corrupt the block of zeroes. */
export interface BoundPolicy {
  readonly name: string;
  onMap(t: State, gfn: number): void;
  onMapFailed(t: State, gfn: number): void;
  onRemoveSucceeded(t: State, gfn: number): void;
  onRemoved(t: State, gfn: number): void;
  onZapFailed(t: State, gfn: number, which: ZapSeamcallName): void;
  keepsPage(t: State, frame: number): boolean;
  mayConvertToShared(t: State, frame: number): boolean;
  /** The design's teardown hook, if it has one: the RECLAIMs it made, with their statuses. */
  onTdTeardown?(t: State): { frame: number; st: number }[];
}

/** `reclaims`: where the context's pageReclaim records the RECLAIMs a teardown hook makes. */
function bindPolicy(
  policy: PagePolicy,
  ctx: PolicyContext,
  v: Vars,
  reclaims: { frame: number; st: number }[],
  mapped: (t: State, gfn: number) => number,
): BoundPolicy {
  const unused = (hook: string, t: State) => {
    for (let i = 0; i < v.frameCount; i++) {
      if (t[v.zero + i] !== 0)
        throw new PolicyError(
          `policy "${policy.name}": ${hook} wrote a variable this scenario does not use (its steps never change it, so it is not in the state)`,
        );
    }
  };
  // a map hook gets the folio's frame; a zap hook the frame the S-EPT maps (seam.ts mappedFrame)
  const checked =
    <A extends unknown[]>(
      hook: string,
      call: ((t: State, frame: number, k: PolicyContext, ...a: A) => void) | undefined,
      frameFor: (t: State, gfn: number) => number = (t, gfn) => frameOf(v, t, gfn),
    ) =>
    (t: State, gfn: number, ...a: A) => {
      if (!call) return;
      call.call(policy, t, frameFor(t, gfn), ctx, ...a);
      unused(hook, t);
    };
  const { keepsPage, mayConvertToShared, onTdTeardown } = policy;
  return {
    name: policy.name,
    onMap: checked('onMap', policy.onMap),
    onMapFailed: checked('onMapFailed', policy.onMapFailed),
    onRemoveSucceeded: checked('onRemoveSucceeded', policy.onRemoveSucceeded, mapped),
    onRemoved: checked('onRemoved', policy.onRemoved, mapped),
    onZapFailed: checked('onZapFailed', policy.onZapFailed, mapped),
    keepsPage: keepsPage ? (t, frame) => keepsPage(t, frame, ctx) : () => false,
    mayConvertToShared: mayConvertToShared
      ? (t, frame) => mayConvertToShared(t, frame, ctx)
      : () => true,
    ...(onTdTeardown && {
      onTdTeardown(t: State) {
        reclaims.length = 0;
        onTdTeardown(t, ctx);
        unused('onTdTeardown', t);
        return reclaims.splice(0);
      },
    }),
  };
}

/** What every kernel module works with: the variables, the locks, folios, the TDX module, the
 * VMM's script and the policy. */
export class Kernel {
  readonly v: Vars;
  readonly locks: Locks;
  readonly mm: Mm;
  readonly seam: Seam;
  readonly script: VmmScript;
  readonly policy: BoundPolicy;
  /** The kernel tree the run models, and its switches (trees.ts): a step that differs between
   * trees reads `k.tree.<switch>`. */
  readonly treeChoice: TreeChoice;
  readonly tree: Switches;
  /** The TDX module the run models (module.ts). */
  readonly module: ModuleVersion;
  /** The kernel's Dynamic PAMT refcounting (tdx_pamt.ts), with module 2.0 only. */
  readonly pamt: TdxPamt | undefined;
  /** The variables a policy hook may write (its context's references and marks, and what a
   * folio_put it makes may free): part of the footprint of every step that calls a hook. */
  readonly policyWrites: readonly number[];
  /** ... and what the teardown hook may write besides: RECLAIM's PAMT entry, the page's reset. */
  readonly policyTeardownWrites: readonly number[];

  constructor(readonly config: KernelConfig) {
    this.module = config.module ?? resolveModule(config.scenario);
    this.treeChoice = resolveTree(config.policy, config.scenario, config.tree, this.module);
    this.tree = switchesOf(this.treeChoice.tree);
    const v = (this.v = new Vars(config, statuses.length, this.tree, this.module));
    this.locks = kernelLocks(v);
    this.seam = new Seam(v, this.module);
    this.pamt =
      this.module === '2.0' ? new TdxPamt(v, this.seam, (m) => this.mutated(m)) : undefined;
    this.script = new VmmScript(config.scenario, v.vmmOp, v.vmmPc, v.vmmStatus);
    const reclaims: { frame: number; st: number }[] = [];
    const ctx: PolicyContext = {
      v: { refPin: v.refPin, refGup: v.refGup, marked: v.marked, poison: v.poison, sept: v.sept },
      frames: v.frameCount,
      seam: {
        pageReclaim: (t, frame) => {
          const huge = this.seam.in2mPage(t, frame);
          const st = this.seam.pageReclaim(t, frame);
          reclaims.push({ frame, st });
          // Module 2.0: the page's PAMT reference put after a successful 4K RECLAIM, as KVM does
          // for S-EPT and control pages (Dynamic PAMT v4 14/16); for a guest page after HKID
          // release our extension (docs/plans/huge-pages.md 5.8). A 2M page holds none ([hp-v3]
          // 17/24, K7).
          if (st === S.SUCCESS && !huge) this.pamt?.put(t, v.pamtBlockOf(frame));
          return st;
        },
        pamtLeaf: (t, frame) => this.seam.pamtLeaf(t, frame),
        clearPage: (t, frame) => this.seam.clearPage(t, frame),
        ok: (st) => st === S.SUCCESS,
      },
      mm: {
        get: (t, holder, frame) => this.mm.get(t, holder, frame),
        put: (t, holder, frame) => this.mm.put(t, holder, frame),
        hasOwnPageFlags: (s, frame) => this.mm.hasOwnPageFlags(s, frame),
        hasPageExt: () => !config.withoutPageExt,
      },
      mutated: (m) => this.mutated(m as Mutation),
    };
    this.mm = new Mm(v, config, (t, frame) => config.policy.mayFree(t, frame, ctx));
    this.policy = bindPolicy(config.policy, ctx, v, reclaims, (t, g) =>
      this.seam.mappedFrame(t, g),
    );
    this.policyWrites = [
      ...this.frames(v.refPin, v.refGup, v.marked, v.poison, v.owner, v.folioBlock),
      ...this.scalars(v.refUnderflow),
    ];
    this.policyTeardownWrites = [
      ...this.policyWrites,
      ...this.frames(v.pamt, v.content, v.tdBit),
      ...(this.pamt?.writes ?? []),
    ];
  }

  get gfns(): number {
    return this.config.scenario.gfns;
  }

  /** The frame backing `gfn` in state `s` (frames.ts). */
  frameOf(s: State, gfn: number): number {
    return frameOf(this.v, s, gfn);
  }

  /** For footprints: the variables of per-frame `fields` that GFN g's frame may be: its own
   * frame, or, where folios move between blocks, every frame (and the blocks' variables). */
  frameVars(g: number, ...fields: number[]): number[] {
    const v = this.v;
    if (v.folioBlock === v.zero) return fields.filter((f) => f !== v.zero).map((f) => f + g);
    return [...this.frames(...fields, v.folioBlock), ...v.septRecords, ...this.ranges(v.sept2m)];
  }

  /** The GFNs (a mask) of the folio that backs `gfn`: the whole HugeTLB folio, or gfn alone. */
  folioRange(s: State, gfn: number): number {
    const frame = this.frameOf(s, gfn);
    const [from, to] = this.mm.folioFrames(s, frame);
    const first = gfn - (frame - from);
    return ((1 << (first + to - from)) - 1) & ~((1 << first) - 1);
  }

  /** Frames of physical memory. */
  get frameCount(): number {
    return this.v.frameCount;
  }

  get vcpus(): number {
    return this.config.scenario.vcpus;
  }

  /** Is this deliberately broken variant of the model switched on? */
  mutated(m: Mutation): boolean {
    return this.config.mutations?.has(m) ?? false;
  }

  /** Footprint helpers (vars.ts). */
  frames(...fields: number[]): number[] {
    return this.v.frames(...fields);
  }
  vcpuFields(...fields: number[]): number[] {
    return this.v.vcpuFields(...fields);
  }
  scalars(...vars: number[]): number[] {
    return this.v.scalars(...vars);
  }
  ranges(...fields: number[]): number[] {
    return this.v.ranges(...fields);
  }
}
