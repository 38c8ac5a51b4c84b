import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../dist/src/cli/septcheck.js', import.meta.url));

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built septcheck command, the package's bin (npm test builds it first). */
export function septcheck(...args: string[]): Ran {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command without blocking the test worker, whatever its exit code: a test that waits
 * synchronously for long (a minute, on a loaded machine) stalls vitest's worker messages. */
export function runAsync(cmd: string, args: readonly string[], cwd = root): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The built septcheck command, run as runAsync runs. */
export function septcheckAsync(...args: string[]): Promise<Ran> {
  return runAsync(process.execPath, [bin, ...args]);
}
