import type { Action, Invariant, State } from './model.js';

/** A model that breaks the contract or throws while being explored. */
export class ModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** Calls `fn`, turning anything it throws into a ModelError that says where. */
export function inModel<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(`${where} threw: ${message(err)}`, { cause: err });
  }
}

/** The error for an action that threw while expanding `s`. */
export function actionError(action: Action, s: State, err: unknown): ModelError {
  const who = action.process ? ` (process ${action.process})` : '';
  return new ModelError(
    `action "${action.name}"${who} threw: ${message(err)} in state [${Array.from(s).join(',')}]`,
    { cause: err },
  );
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether invariant `inv` holds in `s`, with an error that says which threw where. */
export function holds(inv: Invariant, s: State): boolean {
  try {
    return inv.check(s);
  } catch (err) {
    throw new ModelError(
      `invariant "${inv.name}" threw: ${message(err)} in state ${JSON.stringify(Array.from(s))}`,
      { cause: err },
    );
  }
}
