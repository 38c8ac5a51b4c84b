import type { Shrunk, SwarmResult } from '../engine/index.js';
import { InputError } from './input-error.js';
import { docCounterexampleJson } from './report.js';
import type { TraceDoc, TraceTarget } from './trace-doc.js';
import { checkTarget, checkTraceDoc, isObject, readJsonFile } from './trace-file.js';

/** One shard's result, as `septcheck swarm` writes it and `septcheck merge` reads it. */
export interface ShardFile {
  readonly format: 'septcheck-swarm/1';
  readonly title: string;
  readonly target: TraceTarget;
  readonly shard: number;
  readonly of: number;
  readonly seed: number;
  readonly result: SwarmResult['result'];
  readonly distinctStates: number;
  readonly transitions: number;
  readonly maxDepthReached: number;
  readonly seconds: number;
  readonly violation?: TraceDoc;
  /** how the violation was shrunk from the depth-first path the shard found */
  readonly shrunk?: Pick<Shrunk, 'method' | 'before' | 'after'>;
}

export function readShard(path: string): ShardFile {
  const doc = readJsonFile(path);
  const bad = (field: string, expected: string) =>
    new InputError(`${path}: field "${field}" ${expected}`);
  if (!isObject(doc)) throw new InputError(`${path}: is not a JSON object`);
  if (doc.format !== 'septcheck-swarm/1') throw bad('format', 'is not "septcheck-swarm/1"');
  if (typeof doc.title !== 'string') throw bad('title', 'is not a string');
  checkTarget(doc.target, bad);
  for (const f of ['of', 'shard'] as const) {
    if (
      !Number.isSafeInteger(doc[f]) ||
      (doc[f] as number) < 1 ||
      (f === 'shard' && (doc.shard as number) > (doc.of as number))
    )
      throw bad(f, f === 'of' ? 'is not an integer >= 1' : 'is not an integer from 1 to "of"');
  }
  for (const f of [
    'seed',
    'distinctStates',
    'transitions',
    'maxDepthReached',
    'seconds',
  ] as const) {
    if (typeof doc[f] !== 'number' || !Number.isFinite(doc[f]) || doc[f] < 0)
      throw bad(f, 'is not a number >= 0');
  }
  if (!['ok', 'violation', 'incomplete'].includes(String(doc.result)))
    throw bad('result', 'is not ok, violation or incomplete');
  if (doc.violation !== undefined) checkTraceDoc(doc.violation, path, 'violation.');
  return doc as unknown as ShardFile;
}

export interface Merged {
  readonly title: string;
  readonly shards: number;
  readonly of: number;
  readonly missing: number[];
  readonly result: 'ok' | 'violation' | 'incomplete';
  /** states explored by all shards together (a state two shards both visited counts twice) */
  readonly statesExplored: number;
  readonly transitions: number;
  readonly seconds: number;
  readonly violation?: TraceDoc & { readonly shard: number; readonly shrunk?: ShardFile['shrunk'] };
}

/** Combines the shards of one swarm: the shortest violation any found, or ok if every shard
 * finished its part of the search with none, else incomplete. */
export function mergeShards(files: readonly ShardFile[], names: readonly string[]): Merged {
  const first = files[0]!;
  files.forEach((f, i) => {
    if (f.of !== first.of)
      throw new InputError(`${names[i]}: field "of" is ${f.of}, but ${names[0]} has ${first.of}`);
    if (JSON.stringify(f.target) !== JSON.stringify(first.target))
      throw new InputError(
        `${names[i]}: field "target" differs from that of ${names[0]}: not the same swarm`,
      );
  });
  const seen = new Set(files.map((f) => f.shard));
  const missing = Array.from({ length: first.of }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const violations = files
    .filter((f) => f.violation)
    .sort((a, b) => a.violation!.steps.length - b.violation!.steps.length || a.shard - b.shard);
  const best = violations[0];
  const result = best
    ? 'violation'
    : missing.length === 0 && files.every((f) => f.result === 'ok')
      ? 'ok'
      : 'incomplete';
  return {
    title: first.title,
    shards: seen.size,
    of: first.of,
    missing,
    result,
    statesExplored: files.reduce((n, f) => n + f.distinctStates, 0),
    transitions: files.reduce((n, f) => n + f.transitions, 0),
    seconds: Math.max(...files.map((f) => f.seconds)),
    ...(best
      ? {
          violation: {
            ...best.violation!,
            shard: best.shard,
            ...(best.shrunk ? { shrunk: best.shrunk } : {}),
          },
        }
      : {}),
  };
}

/** The merged result as `merge --json` prints it: the violation in the JSON reports' shape. */
export function mergedJson(m: Merged): Record<string, unknown> {
  const { violation, ...rest } = m;
  return {
    ...rest,
    ...(violation
      ? {
          violation: {
            ...docCounterexampleJson(violation),
            shard: violation.shard,
            ...(violation.shrunk ? { shrunk: violation.shrunk } : {}),
          },
        }
      : {}),
  };
}
