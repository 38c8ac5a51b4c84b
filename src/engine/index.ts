export type {
  Action,
  LoggedEvent,
  Observation,
  Fairness,
  Invariant,
  Liveness,
  LivenessKind,
  Model,
  ModelDefinition,
  ParamSpec,
  Params,
  State,
  Successors,
} from './model.js';
export { defineModel } from './model.js';
export { check } from './check.js';
export type { CheckOptions, CheckResult, Outcome, Progress } from './options.js';
export { simulate, random, type SimulateOptions, type SimulateResult } from './simulate.js';
export { ModelError } from './errors.js';
export {
  actionLabel,
  diffViews,
  formatValue,
  step as traceStep,
  viewState,
  type Counterexample,
  type TraceStep,
} from './trace.js';
export { Expander, type Successor } from './successors.js';
export { reducesLiveness } from './por.js';
export { resolveParams, ParamError } from './params.js';
export {
  replay,
  stillViolates,
  type Claim,
  type RecordedStep,
  type ReplayResult,
} from './replay.js';
export { validate, observeRun, matches, type ValidationResult } from './validate.js';
export { swarmSearch, shardSeed, type SwarmOptions, type SwarmResult } from './swarm.js';
export { checkParallel, defaultWorkers, JOIN_AFTER, type Join } from './parallel.js';
export type { ModelRef } from './parallel-protocol.js';
export { stateGraph, type GraphNode, type StateGraph } from './graph.js';
export type { ActionCoverage, Coverage } from './coverage.js';
export { shrink, SHRINK_MAX_STATES, type Shrunk } from './shrink.js';
