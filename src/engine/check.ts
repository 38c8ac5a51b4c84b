import type { Model } from './model.js';
import { Search } from './search.js';
import type { CheckOptions, CheckResult } from './options.js';

/** Exhaustive breadth-first search: every invariant counterexample found is a shortest one. */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  const search = new Search(model, options);
  try {
    while (search.nextState()) search.expandNext();
    return search.finish();
  } finally {
    search.close();
  }
}
