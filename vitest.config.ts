import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Simulations install and restore globals; isolating files in forks keeps one
    // file's installed clock from ever being seen by another.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
