import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file in its own child process: a crash inside the native addon kills one fork,
    // and vitest reports that file as failed instead of dying with it.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
