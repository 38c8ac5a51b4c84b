import { faultKinds, type FaultBudget, type FaultKind } from './config.js';

/** A `--faults` value that is not `kind=n,...` with known kinds. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

/** Parses `remove-fails=1,busy=2`; an empty string is no faults. */
export function parseFaults(text: string): FaultBudget {
  const budget: Partial<Record<FaultKind, number>> = {};
  // "none" (as reports print it) overrides a scenario's default faults
  if (text.trim() === 'none') return budget;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z-]+)=(\d+)$/.exec(part);
    if (!m) throw new FaultSpecError(`--faults: "${part}" is not kind=count`);
    const kind = m[1] as FaultKind;
    if (!faultKinds.includes(kind))
      throw new FaultSpecError(
        `--faults: unknown fault "${m[1]}" (known: ${faultKinds.join(', ')})`,
      );
    const n = Number(m[2]);
    if (n > 9) throw new FaultSpecError(`--faults: ${kind}=${n} is more than the 9 a run supports`);
    budget[kind] = n;
  }
  return budget;
}

export function faultsText(budget: FaultBudget): string {
  const parts = faultKinds.filter((f) => budget[f]).map((f) => `${f}=${budget[f]}`);
  return parts.length ? parts.join(',') : 'none';
}
