import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Simulations install and restore globals; isolating files in forks keeps one
    // file's installed clock from ever being seen by another.
    pool: 'forks',
    // In CI a JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'reports/vitest-results.json' }]] : ['default'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
