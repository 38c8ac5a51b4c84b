import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Two test files at once even on two cores: many tests wait on a septcheck process, npm or
    // chromium (vitest's default keeps a core free, which left one file running at a time).
    maxWorkers: 2,
    minWorkers: 1,
    // Installs the Debian packages the tests use (as root), or stops with the apt-get command.
    globalSetup: ['test/setup/packages.ts'],
    setupFiles: ['test/setup/yield.ts'],
    reporters: ['default', './test/setup/skipped-reporter.ts'],
  },
});
