import type { Scenario } from '../kernel/config.js';
import { basicFamily } from './basic.js';
import { contentionFamily } from './contention.js';
import { convertFamily, hugeConvertFamily } from './convert.js';
import { dpamtFamily } from './dpamt.js';
import { defaultScenario, type ScenarioFamily } from './family.js';
import { hostFamily } from './host.js';
import { hugeMapFamily } from './huge-map.js';
import { hugePunchFamily } from './huge-punch.js';
import { teardownFamily } from './teardown.js';

export { paramRanges, type ScenarioFamily } from './family.js';

/** The bundled scenarios, by name, with the sizes the command line may set. */
export const scenarioFamilies: Readonly<Record<string, ScenarioFamily>> = {
  basic: basicFamily,
  convert: convertFamily,
  contention: contentionFamily,
  teardown: teardownFamily,
  host: hostFamily,
  dpamt: dpamtFamily,
  'huge-map': hugeMapFamily,
  'huge-convert': hugeConvertFamily,
  'huge-punch': hugePunchFamily,
};

/** The bundled scenarios at their default sizes, by name. */
export const scenarios: Readonly<Record<string, Scenario>> = Object.fromEntries(
  Object.entries(scenarioFamilies).map(([k, f]) => [k, defaultScenario(f)]),
);
