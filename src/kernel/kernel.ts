import type { State } from '../engine/index.js';
import {
  PolicyError,
  type PagePolicy,
  type PolicyContext,
  type ZapSeamcallName,
} from '../policies/policy.js';
import type { KernelConfig, Mutation } from './config.js';
import { Mm } from './folio.js';
import { kernelLocks, type Locks } from './locks.js';
import { S, Seam, statuses } from './seam.js';
import { resolveTree, switchesOf, type Switches, type TreeChoice } from './trees.js';
import { Vars } from './vars.js';
import { VmmScript } from './vmm_script.js';

/** The policy's hooks as the kernel calls them: bound to the policy's narrow context, each
 * hook that changes state checked not to have written a variable this scenario leaves out of
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
  gfns: number,
  reclaims: { frame: number; st: number }[],
): BoundPolicy {
  const unused = (hook: string, t: State) => {
    for (let i = 0; i < gfns; i++) {
      if (t[v.zero + i] !== 0)
        throw new PolicyError(
          `policy "${policy.name}": ${hook} wrote a variable this scenario does not use (its steps never change it, so it is not in the state)`,
        );
    }
  };
  const checked =
    <A extends unknown[]>(
      hook: string,
      call: ((t: State, gfn: number, k: PolicyContext, ...a: A) => void) | undefined,
    ) =>
    (t: State, gfn: number, ...a: A) => {
      if (!call) return;
      call.call(policy, t, gfn, ctx, ...a);
      unused(hook, t);
    };
  const { keepsPage, mayConvertToShared, onTdTeardown } = policy;
  return {
    name: policy.name,
    onMap: checked('onMap', policy.onMap),
    onMapFailed: checked('onMapFailed', policy.onMapFailed),
    onRemoveSucceeded: checked('onRemoveSucceeded', policy.onRemoveSucceeded),
    onRemoved: checked('onRemoved', policy.onRemoved),
    onZapFailed: checked('onZapFailed', policy.onZapFailed),
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
  /** The variables a policy hook may write (its context's references and marks, and what a
   * folio_put it makes may free): part of the footprint of every step that calls a hook. */
  readonly policyWrites: readonly number[];
  /** ... and what the teardown hook may write besides: RECLAIM's PAMT entry, the page's reset. */
  readonly policyTeardownWrites: readonly number[];

  constructor(readonly config: KernelConfig) {
    this.treeChoice = resolveTree(config.policy, config.scenario, config.tree);
    this.tree = switchesOf(this.treeChoice.tree);
    const v = (this.v = new Vars(config, statuses.length, this.tree));
    this.locks = kernelLocks(v);
    this.seam = new Seam(v);
    this.script = new VmmScript(config.scenario, v.vmmOp, v.vmmPc);
    const reclaims: { frame: number; st: number }[] = [];
    const ctx: PolicyContext = {
      v: { refPin: v.refPin, refGup: v.refGup, marked: v.marked, poison: v.poison, sept: v.sept },
      frames: config.scenario.gfns,
      seam: {
        pageReclaim: (t, frame) => {
          const st = this.seam.pageReclaim(t, frame);
          reclaims.push({ frame, st });
          return st;
        },
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
    this.policy = bindPolicy(config.policy, ctx, v, config.scenario.gfns, reclaims);
    this.policyWrites = [
      ...this.frames(v.refPin, v.refGup, v.marked, v.poison, v.owner),
      ...this.scalars(v.refUnderflow),
    ];
    this.policyTeardownWrites = [...this.policyWrites, ...this.frames(v.pamt, v.content, v.tdBit)];
  }

  get gfns(): number {
    return this.config.scenario.gfns;
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
