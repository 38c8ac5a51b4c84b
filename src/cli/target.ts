import { resolveParams, type Model } from '../engine/index.js';
import type { ReportParams } from './report.js';
import type { ModuleVersion, TreeChoice } from '../kernel/index.js';
import { InputError } from './input-error.js';
import { bundledModels, loadModel } from './load.js';
import { checkModelShape, checkParamSpecs } from './model-shape.js';
import { systemTarget } from './system-target.js';
import type { TraceTarget } from './trace-doc.js';

export interface Resolved {
  readonly name: string;
  readonly params: ReportParams;
  /** `name (k=v ...)`, for reports and trace titles */
  readonly title: string;
  readonly model: Model;
  readonly target: TraceTarget;
  /** the TDX system's kernel tree and TDX module */
  readonly tree?: TreeChoice;
  readonly module?: ModuleVersion;
}

/** The model a command line (or a trace file) names: a model file or bundled model with its
 * parameters, or the TDX system in a scenario. */
export async function resolveTarget(t: TraceTarget): Promise<Resolved> {
  let name: string;
  let params: ReportParams;
  let model: Model;
  let tree: TreeChoice | undefined;
  let module: ModuleVersion | undefined;
  if (t.scenario !== undefined) {
    if (t.model !== undefined)
      throw new InputError(`give a model or --scenario, not both (got model "${t.model}")`);
    const system = await systemTarget({
      scenario: t.scenario,
      policy: t.policy ?? 'nopin',
      ...(t.faults !== undefined ? { faults: t.faults } : {}),
      hvo: t.hvo ?? false,
      ...(t.withoutPageExt ? { withoutPageExt: true } : {}),
      ...(t.params !== undefined ? { params: t.params } : {}),
      ...(t.tree !== undefined ? { tree: t.tree } : {}),
      ...(t.module !== undefined ? { module: t.module } : {}),
    });
    ({ name, params, model, tree, module } = system);
  } else {
    if (t.model === undefined) throw new InputError('a model or --scenario <name> is needed');
    const def = await loadModel(t.model);
    const own = !(bundledModels as readonly string[]).includes(t.model);
    if (own) checkParamSpecs(def, t.model);
    const resolved = resolveParams(def, t.params ?? {});
    name = def.name;
    params = resolved;
    model = own ? checkModelShape(def.build(resolved), t.model) : def.build(resolved);
  }
  const p = Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  // A design run on another tree than its own says so in every header (trees.ts).
  const port = tree?.hypothetical ? `; ${t.policy ?? 'nopin'}, ported onto ${tree.tree}` : '';
  return {
    name,
    params,
    title: p ? `${name} (${p}${port})` : name,
    model,
    // a trace file records the tree (and a module other than 1.5) resolved, so a replay
    // models the same system
    target: tree ? { ...t, tree: tree.tree, ...(module === '2.0' ? { module } : {}) } : t,
    ...(tree ? { tree } : {}),
    ...(module ? { module } : {}),
  };
}

/** The command-line flags that name the TDX system (main.ts systemOptions). */
export interface SystemFlags {
  scenario?: string;
  policy?: string;
  faults?: string;
  hvo?: boolean;
  withoutPageExt?: boolean;
  tree?: string;
  module?: string;
}

/** The TraceTarget of `check`/`simulate` options. */
export function targetOf(
  spec: string | undefined,
  o: SystemFlags & { param?: Record<string, string> },
): TraceTarget {
  if (o.scenario !== undefined) {
    const sizes =
      o.param !== undefined && Object.keys(o.param).length > 0 ? { params: o.param } : {};
    return {
      ...(spec !== undefined ? { model: spec } : {}),
      scenario: o.scenario,
      policy: o.policy ?? 'nopin',
      ...(o.faults !== undefined ? { faults: o.faults } : {}),
      hvo: o.hvo ?? false,
      ...(o.withoutPageExt ? { withoutPageExt: true } : {}),
      ...(o.tree !== undefined ? { tree: o.tree } : {}),
      ...(o.module !== undefined ? { module: o.module } : {}),
      ...sizes,
    };
  }
  return { ...(spec !== undefined ? { model: spec } : {}), params: o.param ?? {} };
}
