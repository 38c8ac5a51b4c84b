export type { Action, Observation, Fairness, Invariant, Liveness, LivenessKind, Model, ModelDefinition, ParamSpec, Params, State, Successors } from './model.js';
export { defineModel } from './model.js';
export { check, type CheckOptions, type CheckResult, type Outcome, type Progress } from './check.js';
export { simulate, random, type SimulateOptions, type SimulateResult } from './simulate.js';
export { ModelError } from './errors.js';
export { actionLabel, diffViews, formatValue, viewState, type Counterexample, type TraceStep } from './trace.js';
export { resolveParams, ParamError } from './params.js';
export { replay, stillViolates, type Claim, type RecordedStep, type ReplayResult } from './replay.js';
export { validate, observeRun, matches, type LoggedEvent, type ValidationResult } from './validate.js';
