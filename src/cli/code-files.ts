import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundledPolicy } from '../policies/index.js';
import { InputError } from './input-error.js';
import { bundledModels } from './load.js';
import type { TraceTarget } from './trace-doc.js';

/** The code files the user chose on the command line: `--model` and `--policy` of `replay`. */
export interface GivenCode {
  readonly model?: string;
  readonly policy?: string;
}

const same = (a: string, b: string) => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));
  return real(a) === real(b);
};

/** A name that loads a file of code (anything else is an unknown name, said so later). */
export const isCodeFile = (name: string) => /\.[cm]?[jt]s$/.test(name);

/**
 * A file that names code (a trace's target) runs that code only when the user named the same
 * file on the command line: traces travel by email and bug reports, and reading one must not run
 * code the reader did not choose. Returns the target with the user's own spelling of the file.
 */
export function allowedTarget(t: TraceTarget, given: GivenCode, source: string): TraceTarget {
  const model =
    t.model !== undefined &&
    !(bundledModels as readonly string[]).includes(t.model) &&
    isCodeFile(t.model)
      ? t.model
      : undefined;
  const policy =
    t.policy !== undefined && !bundledPolicy(t.policy) && isCodeFile(t.policy)
      ? t.policy
      : undefined;
  for (const [flag, named, chosen] of [
    ['--model', model, given.model],
    ['--policy', policy, given.policy],
  ] as const) {
    if (named === undefined) continue;
    if (typeof named !== 'string' || chosen === undefined || !same(named, chosen)) {
      throw new InputError(
        `${source}: names the ${flag.slice(2)} file ${JSON.stringify(named)}; it runs only when given on the command line too: ${flag} ${named}`,
      );
    }
  }
  return {
    ...t,
    ...(model !== undefined ? { model: given.model! } : {}),
    ...(policy !== undefined ? { policy: given.policy! } : {}),
  };
}
