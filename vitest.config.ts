import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that start the real exporter run dist/main.js: build it first when src/ changed.
    globalSetup: ['test/global-setup.ts'],
    // Removes each file's temp dirs (test/helpers/tmp.ts) after its tests.
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
