import { describe, expect, it } from 'vitest';
import { needed, plan } from './packages.js';

describe('the test set-up: missing Debian packages', () => {
  it('nothing missing: ready', () => {
    expect(plan([], false, true)).toEqual({ kind: 'ready' });
  });

  it('as root with apt-get: installs exactly the missing ones', () => {
    expect(plan(['spin', 'bpftrace'], true, true)).toEqual({
      kind: 'install',
      pkgs: ['spin', 'bpftrace'],
    });
  });

  it('not root: stops with one line naming the apt-get command', () => {
    expect(plan(['chromium', 'gcc'], false, true)).toEqual({
      kind: 'stop',
      line: 'septcheck tests: missing Debian packages chromium gcc: run `sudo apt-get install -y chromium gcc`, then npm test again',
    });
  });

  it('without apt-get: stops, naming the packages and the Debian command', () => {
    expect(plan(['spin'], true, false)).toEqual({
      kind: 'stop',
      line: 'septcheck tests: missing Debian packages spin: install them (on Debian: `apt-get install -y spin`), then npm test again',
    });
  });

  it('after the set-up, every needed package is installed on this machine', () => {
    expect(needed.filter((n) => !n.installed()).map((n) => n.pkg)).toEqual([]);
  });
});
