import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A Debian package the tests use, and how to tell it is installed. */
export interface Needed {
  readonly pkg: string;
  readonly why: string;
  readonly installed: () => boolean;
}

const onPath = (cmd: string) => () =>
  spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** What `npm test` needs from the machine beyond Node: every test runs, none is skipped for
 * want of a package. */
export const needed: readonly Needed[] = [
  {
    pkg: 'chromium',
    why: 'test/web drives /usr/bin/chromium with playwright-core',
    installed: () => existsSync('/usr/bin/chromium'),
  },
  {
    pkg: 'spin',
    why: 'test/kernel/promela.test.ts checks the Promela twin with SPIN',
    installed: onPath('spin'),
  },
  { pkg: 'gcc', why: "SPIN's pan is C, compiled with gcc", installed: onPath('gcc') },
  {
    pkg: 'bpftrace',
    why: 'test/validate checks the capture script with bpftrace -d',
    installed: onPath('bpftrace'),
  },
  { pkg: 'graphviz', why: 'dot renders the traces drawn as Graphviz', installed: onPath('dot') },
];

/** The apt-get command that installs `pkgs`. */
export function aptCommand(pkgs: readonly string[]): string {
  return `apt-get install -y ${pkgs.join(' ')}`;
}

export type Plan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly pkgs: string[] }
  | { readonly kind: 'stop'; readonly line: string };

/** What to do about the missing packages: nothing, install them (as root, with apt-get), or stop
 * with one line naming the command to run. */
export function plan(missing: readonly string[], isRoot: boolean, hasApt: boolean): Plan {
  if (missing.length === 0) return { kind: 'ready' };
  if (isRoot && hasApt) return { kind: 'install', pkgs: [...missing] };
  const how = hasApt
    ? `run \`sudo ${aptCommand(missing)}\``
    : `install them (on Debian: \`${aptCommand(missing)}\`)`;
  return {
    kind: 'stop',
    line: `septcheck tests: missing Debian packages ${missing.join(' ')}: ${how}, then npm test again`,
  };
}

/** vitest globalSetup: make the machine ready before any test runs, or stop at once. */
export default function setup(): void {
  const missing = needed.filter((n) => !n.installed()).map((n) => n.pkg);
  const isRoot = process.getuid?.() === 0;
  const p = plan(missing, isRoot, existsSync('/usr/bin/apt-get'));
  if (p.kind === 'ready') return;
  if (p.kind === 'stop') {
    process.stderr.write(`${p.line}\n`);
    process.exit(1);
  }
  process.stderr.write(`septcheck tests: installing ${p.pkgs.join(' ')} (${aptCommand(p.pkgs)})\n`);
  // Other apt-get runs may hold dpkg's lock for a while: wait for it rather than fail.
  const apt = (args: string[]) =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (
    !apt(['update', '-qq']) ||
    !apt(['install', '-y', '-qq', '--no-install-recommends', ...p.pkgs])
  ) {
    process.stderr.write(`septcheck tests: \`${aptCommand(p.pkgs)}\` failed (see above)\n`);
    process.exit(1);
  }
  const still = needed.filter((n) => !n.installed()).map((n) => n.pkg);
  if (still.length > 0) {
    process.stderr.write(`septcheck tests: still missing after apt-get: ${still.join(' ')}\n`);
    process.exit(1);
  }
}
