import type { KernelConfig, Mutation } from './config.js';
import { Mm } from './mm.js';
import { Seam } from './seam.js';
import { Vars } from './vars.js';
import { VmmScript } from './vmm_script.js';
import { PolicyError, type PagePolicy } from '../policies/policy.js';
import type { State } from '../engine/index.js';

/** The policy, with each hook that changes state checked not to have written a variable this
 * scenario leaves out of the state (vars.ts): such a write would corrupt the block of zeroes. */
function checkedPolicy(policy: PagePolicy, v: Vars): PagePolicy {
  const check = (hook: 'onMap' | 'onMapFailed' | 'onRemoved' | 'onZapFailed') => (t: State, gfn: number, k: Kernel) => {
    policy[hook](t, gfn, k);
    for (let i = 0; i < v.config.scenario.gfns; i++) {
      if (t[v.zero + i] !== 0) throw new PolicyError(`policy "${policy.name}": ${hook} wrote a variable this scenario does not use (its steps never change it, so it is not in the state)`);
    }
  };
  return { ...policy, onMap: check('onMap'), onMapFailed: check('onMapFailed'), onRemoved: check('onRemoved'), onZapFailed: check('onZapFailed') };
}

/** What every kernel module works with: the variables, mm, the TDX module and the policy. */
export class Kernel {
  readonly v: Vars;
  readonly mm: Mm;
  readonly seam: Seam;
  readonly script: VmmScript;
  readonly policy: PagePolicy;

  constructor(readonly config: KernelConfig) {
    this.v = new Vars(config);
    this.mm = new Mm(this);
    this.seam = new Seam(this.v);
    this.script = new VmmScript(config.scenario, this.v.vmmOp, this.v.vmmPc);
    this.policy = checkedPolicy(config.policy, this.v);
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
}
