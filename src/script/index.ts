export { parseScript, ScriptError, type Script, type Step, type Expect } from './schema.js';
export { runScript, type RunReport, type StepReport, type CheckResult } from './run.js';
export {
  runOnKernel,
  kernelRefusal,
  compareAnswers,
  KernelUnavailable,
  MODEL_TREE,
  type KernelReport,
  type KernelStep,
  type Disagreement,
} from './kernel.js';
export { scriptEventModel, observedFns } from './events.js';
