// septcheck's public API: the engine, the TDX system, its policies and scenarios, the verdicts.
export * from './engine/index.js';
export {
  buildSystem,
  parseFaults,
  faultsText,
  faultKinds,
  mapAddresses,
  mutationNames,
  Kernel,
} from './kernel/index.js';
export type {
  FaultBudget,
  FaultKind,
  KernelConfig,
  Mutation,
  Scenario,
  VmmOp,
} from './kernel/index.js';
export {
  policies,
  noHooks,
  type PagePolicy,
  type PolicyContext,
  type ZapSeamcallName,
} from './policies/index.js';
export { scenarios } from './scenarios/index.js';
export { verdictTable, questions, type Cell, type Row, type Verdict } from './claims/index.js';
