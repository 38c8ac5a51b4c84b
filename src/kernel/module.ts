/**
 * The TDX module version a run models (`--module`): 1.5 = the 1.5.01 rules with a static PAMT
 * (intel/tdx-module tag TDX_1.5.01); 2.0 = the 2.0 line with Dynamic PAMT (intel/tdx-module
 * commit 1666adc494db, build 882: docs/plans/huge-pages.md M14-M22), where the PAMT's 4K
 * entries of a 2M range live in a page pair the kernel gives with TDH.PHYMEM.PAMT.ADD.
 */
import { TreeError, type TreeFeature } from './trees.js';

export const moduleVersions = ['1.5', '2.0'] as const;
export type ModuleVersion = (typeof moduleVersions)[number];

export const moduleDocs: Readonly<Record<ModuleVersion, string>> = {
  '1.5': 'TDX module 1.5, static PAMT (TDX_1.5.01)',
  '2.0': 'TDX module 2.0 with Dynamic PAMT (2.0 line, 1666adc494db)',
};

/** The module a run models: the one given, else 2.0 for a scenario that needs Dynamic PAMT,
 * else 1.5. A version we do not model, or 1.5 for such a scenario, is the caller's error. */
export function resolveModule(
  scenario: { readonly name: string; readonly needs?: readonly TreeFeature[] },
  given?: string,
): ModuleVersion {
  const needsDpamt = scenario.needs?.includes('dpamt') ?? false;
  if (given === undefined) return needsDpamt ? '2.0' : '1.5';
  if (!(moduleVersions as readonly string[]).includes(given))
    throw new TreeError(
      `--module: unknown TDX module "${given}" (known: ${moduleVersions.join(', ')})`,
    );
  if (needsDpamt && given !== '2.0')
    throw new TreeError(
      `--module ${given}: scenario ${scenario.name} needs Dynamic PAMT (module 2.0)`,
    );
  return given as ModuleVersion;
}
