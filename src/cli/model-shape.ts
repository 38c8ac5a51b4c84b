import type { Model, ModelDefinition } from '../engine/index.js';
import { InputError } from './input-error.js';

/**
 * A user's model checked against the contract (src/engine/model.ts) before the engine sees it,
 * so that a missing field is one line naming the file and the field, not a TypeError inside the
 * checker. Only shapes are checked here; what the functions do is judged when they run.
 */
type Shape = Record<string, unknown>;

const isFn = (v: unknown) => typeof v === 'function';
const isObj = (v: unknown): v is Shape => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(file: string, ok: boolean, field: string, expected: string): void {
  if (!ok) throw new InputError(`${file}: ${field}: expected ${expected}`);
}

function optionalFn(file: string, o: Shape, field: string, where: string): void {
  need(file, o[field] === undefined || isFn(o[field]), `${where}${field}`, 'a function');
}

/** The definition's parameter specs: integers with min <= default <= max. */
export function checkParamSpecs(def: ModelDefinition, file: string): void {
  if (def.params === undefined) return;
  need(file, isObj(def.params), 'params', 'an object of { default, min, max, doc }');
  for (const [name, spec] of Object.entries(def.params as Shape)) {
    const s = spec as Shape;
    const ints = isObj(s) && [s.default, s.min, s.max].every((v) => Number.isSafeInteger(v));
    need(
      file,
      ints &&
        (s.min as number) <= (s.default as number) &&
        (s.default as number) <= (s.max as number),
      `params.${name}`,
      'integers { default, min, max } with min <= default <= max',
    );
  }
}

/** What `build()` returned, against the model contract. */
export function checkModelShape(model: unknown, file: string): Model {
  need(file, isObj(model), 'build()', 'to return a model object');
  const m = model as Shape;
  need(
    file,
    Number.isSafeInteger(m.stateSize) && (m.stateSize as number) >= 1,
    'build().stateSize',
    'an integer >= 1',
  );
  need(file, isFn(m.initial), 'build().initial', 'a function returning the initial states');
  need(
    file,
    Array.isArray(m.actions) && m.actions.length > 0,
    'build().actions',
    'a non-empty list of actions',
  );
  (m.actions as unknown[]).forEach((a, i) => {
    need(
      file,
      isObj(a) && typeof a.name === 'string' && isFn(a.next),
      `build().actions[${i}]`,
      'an action { name, next(s, out) }',
    );
    const action = a as Shape;
    need(
      file,
      action.fairness === undefined || action.fairness === 'weak' || action.fairness === 'strong',
      `build().actions[${i}].fairness`,
      '"weak" or "strong"',
    );
    need(
      file,
      action.guard === undefined ||
        (Array.isArray(action.guard) &&
          action.guard.every(
            (g) => Array.isArray(g) && g.length === 2 && g.every((x) => Number.isSafeInteger(x)),
          )),
      `build().actions[${i}].guard`,
      'a list of [variable, value] pairs',
    );
    for (const f of ['explain', 'observe']) optionalFn(file, action, f, `build().actions[${i}].`);
  });
  need(
    file,
    m.invariants === undefined || Array.isArray(m.invariants),
    'build().invariants',
    'a list',
  );
  ((m.invariants as unknown[] | undefined) ?? []).forEach((inv, i) => {
    need(
      file,
      isObj(inv) && typeof inv.name === 'string' && isFn(inv.check),
      `build().invariants[${i}]`,
      'an invariant { name, doc, check(s) }',
    );
  });
  need(file, m.liveness === undefined || Array.isArray(m.liveness), 'build().liveness', 'a list');
  ((m.liveness as unknown[] | undefined) ?? []).forEach((l, i) => {
    const ok =
      isObj(l) &&
      typeof l.name === 'string' &&
      ['eventually', 'leadsTo', 'alwaysEventually'].includes(l.kind as string) &&
      isFn(l.p) &&
      (l.kind !== 'leadsTo' || isFn(l.q));
    need(
      file,
      ok,
      `build().liveness[${i}]`,
      "a property { name, doc, kind: 'eventually' | 'leadsTo' | 'alwaysEventually', p(s), q(s) for leadsTo }",
    );
  });
  for (const f of ['constraint', 'isFinal', 'view', 'canonical'])
    optionalFn(file, m, f, 'build().');
  // What initial() returns is known only once it runs: checked then (the engine checks the
  // states' lengths, and what view() returns: a ModelError naming view(), which the command
  // reports as bad input naming this file).
  const checked = Object.create(m) as Shape;
  checked.initial = () => {
    const states = (m.initial as () => unknown).call(m);
    need(
      file,
      Array.isArray(states) && states.every((s) => ArrayBuffer.isView(s) || Array.isArray(s)),
      'build().initial()',
      'to return a list of states (Uint8Array)',
    );
    return states;
  };
  return checked as unknown as Model;
}
