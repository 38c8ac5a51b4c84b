/**
 * Where the command writes and the exit code it ends with. The real process by default; the
 * tests drive the command in-process with their own (test/cli/fuzz), one run at a time.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** a server the run leaves listening (`view`): the in-process driver closes it */
  serving?(close: () => void): void;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

let current: CliIo = processIo;
let code = 0;

/** Writes to the run's stdout. */
export function out(text: string): void {
  current.stdout(text);
}

/** Writes to the run's stderr. */
export function err(text: string): void {
  current.stderr(text);
}

/** Sets the run's exit code (the last call wins, as with process.exitCode). */
export function setExit(n: number): void {
  code = n;
}

export function serving(close: () => void): void {
  current.serving?.(close);
}

/** Runs `fn` with `io` as the run's output; resolves to the exit code the run set. */
export async function withIo(io: CliIo, fn: () => Promise<void>): Promise<number> {
  const saved = current;
  current = io;
  code = 0;
  try {
    await fn();
    return code;
  } finally {
    current = saved;
  }
}
