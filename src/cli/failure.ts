import { realpathSync } from 'node:fs';
/**
 * How a run that threw ends: exit 2 with one line when the input is at fault (a bad flag or
 * file, or the user's own model or policy code threw: then the line names their file and the line
 * of their own stack frame), exit 70 "internal error, please report" when septcheck itself is.
 */
import { CommanderError } from 'commander';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError, ParamError } from '../engine/index.js';
import { PolicyError } from '../policies/index.js';
import { ScriptError } from '../script/index.js';
import { InputError } from './input-error.js';

export const EXIT_INPUT = 2;
export const EXIT_INTERNAL = 70;

/** Files of the user's own code that this process loaded: absolute path -> as the user named it. */
const userFiles = new Map<string, string>();

export function registerUserFile(absolute: string, named: string): void {
  userFiles.set(absolute, named);
  // A stack frame names the file by its real path: through a symbolic link, that is another name.
  try {
    userFiles.set(realpathSync(absolute), named);
  } catch {
    // a file that is gone is named as given
  }
}

/** Forgets the files of an earlier in-process run. */
export function resetUserFiles(): void {
  userFiles.clear();
}

/** The user files loaded so far, as named (for errors that carry no stack of their own). */
export function loadedUserFiles(): string[] {
  return [...userFiles.values()];
}

export interface Frame {
  readonly fn: string | undefined;
  readonly file: string;
  readonly line: number;
}

/** The stack frames of an error: function, file (a path, query dropped) and line. */
export function frames(e: unknown): Frame[] {
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : '';
  const out: Frame[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:(.+?) \()?(.+?)(?:\?[^:]*)?:(\d+):\d+\)?$/.exec(line);
    if (!m) continue;
    let file = m[2]!;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    out.push({ fn: m[1], file, line: Number(m[3]) });
  }
  return out;
}

/** The error and its causes, outermost first. */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (
    let c: unknown = e;
    c !== undefined && out.length < 10;
    c = c instanceof Error ? c.cause : undefined
  )
    out.push(c);
  return out;
}

export function text(e: unknown): string {
  if (!(e instanceof Error)) return `threw ${JSON.stringify(e) ?? String(e)}`;
  const first = e.message.split('\n')[0] ?? '';
  return e.name && e.name !== 'Error' && !first.startsWith(e.name) ? `${e.name}: ${first}` : first;
}

/** septcheck's own files: its compiled code, its sources (under test) and its dependencies. */
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, here.split(sep).includes('dist') ? '../../..' : '../..');
const ours = ['dist', 'src', 'node_modules'].map((d) => join(packageRoot, d) + sep);

/** The first frame of the user's own code in the error or its causes: a file that is not
 * septcheck's (their model or policy, or a module it imports), above the command line's own
 * entry (commander), below which are the command's callers. */
export function userFrame(e: unknown): { error: unknown; frame: Frame; named: string } | undefined {
  for (const c of chain(e)) {
    for (const f of frames(c)) {
      if (f.file.includes(`${sep}commander${sep}`)) break;
      if (!isAbsolute(f.file) || ours.some((o) => f.file.startsWith(o))) continue;
      return {
        error: c,
        frame: f,
        named: userFiles.get(f.file) ?? relative(process.cwd(), f.file),
      };
    }
  }
  return undefined;
}

/** The exit code and the one line for an error that ended a run. */
export function failure(e: unknown): { code: number; line?: string } {
  if (e instanceof CommanderError) {
    // Help and version are not errors (commander printed them); all else it rejects is bad input.
    return { code: e.exitCode === 0 ? 0 : EXIT_INPUT };
  }
  // Bad input, also when found inside a call the engine wraps (a user's initial() checked).
  const bad = chain(e).find(
    (c) => c instanceof InputError || c instanceof ParamError || c instanceof ScriptError,
  ) as Error | undefined;
  if (bad) return { code: EXIT_INPUT, line: `septcheck: ${oneLine(bad.message)}` };
  const user = userFrame(e);
  if (user) {
    // The outer ModelError says what threw (an action, an invariant); the user's frame says where.
    const fn = user.frame.fn?.replace(/^(Object|Module)\./, '');
    const what =
      e instanceof ModelError
        ? e.message
        : `${fn && !fn.includes('<anonymous>') ? fn : 'code'} threw: ${text(user.error)}`;
    return {
      code: EXIT_INPUT,
      line: `septcheck: ${user.named}:${user.frame.line}: ${oneLine(what)}`,
    };
  }
  if (
    (e instanceof ModelError && !(e.cause instanceof Error)) ||
    chain(e).some((c) => c instanceof PolicyError)
  ) {
    // A model or policy that breaks its contract (wrong state size, a write it must not make)
    // or threw a non-Error: the user's file when there is one; a bundled one doing so is our bug.
    const files = loadedUserFiles();
    if (files.length > 0)
      return {
        code: EXIT_INPUT,
        line: `septcheck: ${files.join(', ')}: ${oneLine((e as Error).message)}`,
      };
  }
  const at = frames(e).find((f) => !f.file.startsWith('node:'));
  const where = at ? ` (at ${relative(process.cwd(), at.file)}:${at.line})` : '';
  return {
    code: EXIT_INTERNAL,
    line: `septcheck: internal error, please report: ${oneLine(text(e))}${where}`,
  };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
