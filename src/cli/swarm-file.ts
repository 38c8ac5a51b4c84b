import { readFileSync } from 'node:fs';
import type { Shrunk, SwarmResult } from '../engine/index.js';
import { InputError } from './input-error.js';
import type { TraceDoc, TraceTarget } from './trace-doc.js';

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
  let doc: Partial<ShardFile>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Partial<ShardFile>;
  } catch (err) {
    throw new InputError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not JSON'}`);
  }
  if (doc.format !== 'septcheck-swarm/1') throw new InputError(`${path}: field "format" is not "septcheck-swarm/1"`);
  for (const f of ['shard', 'of', 'seed', 'distinctStates', 'transitions'] as const) {
    if (typeof doc[f] !== 'number') throw new InputError(`${path}: field "${f}" is not a number`);
  }
  if (!['ok', 'violation', 'incomplete'].includes(String(doc.result))) throw new InputError(`${path}: field "result" is not ok, violation or incomplete`);
  return doc as ShardFile;
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
    if (f.of !== first.of) throw new InputError(`${names[i]}: field "of" is ${f.of}, but ${names[0]} has ${first.of}`);
    if (JSON.stringify(f.target) !== JSON.stringify(first.target)) throw new InputError(`${names[i]}: field "target" differs from that of ${names[0]}: not the same swarm`);
  });
  const seen = new Set(files.map((f) => f.shard));
  const missing = Array.from({ length: first.of }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const violations = files.filter((f) => f.violation).sort((a, b) => a.violation!.steps.length - b.violation!.steps.length || a.shard - b.shard);
  const best = violations[0];
  const result = best ? 'violation' : missing.length === 0 && files.every((f) => f.result === 'ok') ? 'ok' : 'incomplete';
  return {
    title: first.title,
    shards: seen.size,
    of: first.of,
    missing,
    result,
    statesExplored: files.reduce((n, f) => n + f.distinctStates, 0),
    transitions: files.reduce((n, f) => n + f.transitions, 0),
    seconds: Math.max(...files.map((f) => f.seconds)),
    ...(best ? { violation: { ...best.violation!, shard: best.shard, ...(best.shrunk ? { shrunk: best.shrunk } : {}) } } : {}),
  };
}
