import type { KernelConfig, Mutation } from './config.js';
import { Mm } from './mm.js';
import { Seam } from './seam.js';
import { Vars } from './vars.js';
import { VmmScript } from './vmm_script.js';

/** What every kernel module works with: the variables, mm, the TDX module and the policy. */
export class Kernel {
  readonly v: Vars;
  readonly mm: Mm;
  readonly seam: Seam;
  readonly script: VmmScript;

  constructor(readonly config: KernelConfig) {
    this.v = new Vars(config);
    this.mm = new Mm(this);
    this.seam = new Seam(this.v);
    this.script = new VmmScript(config.scenario, this.v.vmmOp, this.v.vmmPc);
  }

  get policy() {
    return this.config.policy;
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
