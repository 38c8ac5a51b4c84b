import type { ModelDefinition, Params } from './model.js';

/** A `--param` the model does not declare, or a value out of its range. */
export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** The model's parameters: its declared defaults overridden by `given` (name -> text). */
export function resolveParams(def: ModelDefinition, given: Readonly<Record<string, string>>): Params {
  const specs = def.params ?? {};
  const params: Params = {};
  for (const [name, spec] of Object.entries(specs)) params[name] = spec.default;
  for (const [name, text] of Object.entries(given)) {
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs);
      throw new ParamError(`model ${def.name} has no parameter "${name}"${known.length ? ` (it has: ${known.join(', ')})` : ' (it takes none)'}`);
    }
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < spec.min || value > spec.max) {
      throw new ParamError(`parameter ${name}=${text} of model ${def.name}: expected an integer from ${spec.min} to ${spec.max}`);
    }
    params[name] = value;
  }
  return params;
}
