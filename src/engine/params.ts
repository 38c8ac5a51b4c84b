import type { ParamSpec, Params } from './model.js';

/** A `--param` the model (or scenario) does not declare, or a value out of its range. */
export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** The parameters of a model (or of a scenario: `kind` names which, in errors): its declared
 * defaults overridden by `given` (name -> text). */
export function resolveParams(
  def: { readonly name: string; readonly params?: Readonly<Record<string, ParamSpec>> },
  given: Readonly<Record<string, string>>,
  kind = 'model',
): Params {
  const specs = def.params ?? {};
  const params: Params = {};
  for (const [name, spec] of Object.entries(specs)) params[name] = spec.default;
  for (const [name, text] of Object.entries(given)) {
    // own names only: "valueOf" is no parameter of any model
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      const known = Object.keys(specs);
      throw new ParamError(
        `${kind} ${def.name} has no parameter "${name}"${known.length ? ` (it has: ${known.join(', ')})` : ' (it takes none)'}`,
      );
    }
    if (spec.values) {
      const index = spec.values.indexOf(text);
      if (index < 0)
        throw new ParamError(
          `parameter ${name}=${text} of ${kind} ${def.name}: expected one of ${spec.values.join(', ')}`,
        );
      params[name] = index;
      continue;
    }
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < spec.min || value > spec.max) {
      throw new ParamError(
        `parameter ${name}=${text} of ${kind} ${def.name}: expected an integer from ${spec.min} to ${spec.max}`,
      );
    }
    params[name] = value;
  }
  return params;
}
