import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { failure, resetUserFiles } from './failure.js';
import { err, processIo, setExit, withIo, type CliIo } from './io.js';

/** Runs the command line `argv` (without node and script) with `io`; resolves to the exit code. */
export function runCommand(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  return withIo(io, async () => {
    resetUserFiles();
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (e) {
      const f = failure(e);
      if (f.line) err(`${f.line}\n`);
      setExit(f.code);
    }
  });
}

/** Is the module at `url` the script node was started with (also through npm's bin symlink)? */
export function isEntry(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/** The process's own run: anything thrown later (a server's callback) ends it the same way. */
export async function runProcess(program: Command): Promise<void> {
  const last = (e: unknown) => {
    const f = failure(e);
    if (f.line) process.stderr.write(`${f.line}\n`);
    process.exit(f.code);
  };
  // A reader that stops early (`septcheck claims | head -3`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) =>
    e.code === 'EPIPE' ? process.exit(process.exitCode ?? 0) : last(e),
  );
  process.on('uncaughtException', last);
  process.on('unhandledRejection', last);
  process.exitCode = await runCommand(program, process.argv.slice(2), processIo);
}
