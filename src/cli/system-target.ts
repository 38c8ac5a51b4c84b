import {
  resolveModule,
  type ModuleVersion,
  resolveTree,
  TreeError,
  type TreeChoice,
  buildSystem,
  FaultSpecError,
  faultsText,
  parseFaults,
  type KernelConfig,
} from '../kernel/index.js';
import { bundledPolicy, policies, type PagePolicy } from '../policies/index.js';
import { scenarioFamilies } from '../scenarios/index.js';
import { resolveParams, type Model } from '../engine/index.js';
import { InputError } from './input-error.js';
import { importUserFile } from './load.js';

export interface SystemOptions {
  readonly scenario: string;
  readonly policy: string;
  readonly faults?: string;
  readonly hvo?: boolean;
  readonly withoutPageExt?: boolean;
  /** the kernel tree (`--tree`); without one, the design's or the scenario's (trees.ts) */
  readonly tree?: string;
  /** the TDX module (`--module`); without one, module.ts's resolveModule picks it */
  readonly module?: string;
  /** sizes from `--param` (vcpus, pages): the scenario's defaults for the rest */
  readonly params?: Readonly<Record<string, string>>;
}

export interface SystemTarget {
  readonly name: string;
  readonly params: Record<string, string | boolean>;
  readonly model: Model;
  /** the kernel tree and the TDX module the run models */
  readonly tree: TreeChoice;
  readonly module: ModuleVersion;
}

const hooks = ['onMap', 'onMapFailed', 'onRemoved', 'onZapFailed', 'mayFree'] as const;

/** A bundled policy by name, or a policy file (.ts loaded without a build step). */
export async function loadPolicy(spec: string): Promise<PagePolicy> {
  const bundled = bundledPolicy(spec);
  if (bundled) return bundled;
  if (!/\.(m?ts|m?js)$/.test(spec))
    throw new InputError(
      `unknown policy "${spec}": not a bundled policy (${Object.keys(policies).join(', ')}) nor a .ts or .js file`,
    );
  const mod = await importUserFile(spec);
  const policy = (mod.default ?? mod.policy) as Partial<PagePolicy> | undefined;
  if (!policy || typeof policy !== 'object')
    throw new InputError(
      `${spec}: has no default export (expected a policy: { name, doc, ${hooks.join(', ')} })`,
    );
  if (typeof policy.name !== 'string')
    throw new InputError(`${spec}: policy has no string field "name"`);
  for (const hook of hooks)
    if (typeof policy[hook] !== 'function')
      throw new InputError(`${spec}: policy "${policy.name}" has no function field "${hook}"`);
  return policy as PagePolicy;
}

/** The system model for a scenario, a policy and fault budgets. */
export async function systemTarget(o: SystemOptions): Promise<SystemTarget> {
  // own keys only: "valueOf" or "constructor" is no scenario
  const family = Object.hasOwn(scenarioFamilies, o.scenario)
    ? scenarioFamilies[o.scenario]
    : undefined;
  if (!family)
    throw new InputError(
      `unknown scenario "${o.scenario}" (known: ${Object.keys(scenarioFamilies).join(', ')})`,
    );
  const given = o.params ?? {};
  const scenario = family.build(resolveParams(family, given, 'scenario'));
  const policy = await loadPolicy(o.policy);
  let faults;
  try {
    faults = o.faults === undefined ? scenario.faults : parseFaults(o.faults);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new InputError(err.message);
    throw err;
  }
  let tree: TreeChoice;
  let module: ModuleVersion;
  try {
    module = resolveModule(scenario, o.module);
    tree = resolveTree(policy, scenario, o.tree, module);
  } catch (err) {
    if (err instanceof TreeError) throw new InputError(err.message);
    throw err;
  }
  const config: KernelConfig = {
    scenario,
    policy,
    faults,
    hvo: o.hvo ?? false,
    withoutPageExt: o.withoutPageExt ?? false,
    tree: tree.tree,
    module,
  };
  return {
    name: 'tdx',
    // Sizes appear only when given, so a default run reads (and replays) as it always did.
    params: {
      scenario: scenario.name,
      ...sizes(given),
      policy: policy.name,
      faults: faultsText(faults),
      hvo: config.hvo,
      // Only when given, so every other run reads (and replays) as it always did.
      ...(config.withoutPageExt ? { 'without-page-ext': true } : {}),
      tree: tree.tree,
      ...(module !== '1.5' ? { module } : {}),
    },
    model: buildSystem(config),
    tree,
    module,
  };
}

/** The sizes the command line gave, as numbers, in the order given. */
function sizes(given: Readonly<Record<string, string>>): Record<string, number | string> {
  // a size is a number; a parameter given by name (accept=4k) stays its name
  return Object.fromEntries(
    Object.entries(given).map(([k, v]) => [k, /^-?\d+$/.test(v) ? Number(v) : v]),
  );
}
