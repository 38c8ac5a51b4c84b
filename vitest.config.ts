import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Installs the Debian packages the tests use (as root), or stops with the apt-get command.
    globalSetup: ['test/setup/packages.ts'],
    setupFiles: ['test/setup/yield.ts'],
    reporters: ['default', './test/setup/skipped-reporter.ts'],
  },
});
