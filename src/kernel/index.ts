export { buildSystem, systemModel, vcpuOrbitSize } from './system.js';
export { parseFaults, faultsText, FaultSpecError } from './faults.js';
export {
  acceptLevels,
  faultKinds,
  mutationNames,
  type AcceptLevel,
  type FaultBudget,
  type FaultKind,
  type KernelConfig,
  type Mutation,
  type Scenario,
  type VmmOp,
} from './config.js';
export { Kernel } from './kernel.js';
export {
  resolveTree,
  TreeError,
  treeNames,
  trees,
  treeText,
  type TreeChoice,
  type TreeName,
} from './trees.js';
export { moduleDocs, moduleVersions, resolveModule, type ModuleVersion } from './module.js';
export { mapAddresses } from './addresses.js';
