import { defineConfig } from 'vitest/config';

// Two projects: the server (Node, real PostgreSQL + PGlite) and the web UI (jsdom components).
// Server test files each get their own database cloned from a migrated template (see test/support).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          environment: 'node',
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Fails a file that leaks a pool, PGlite, worker, timer, server or child process.
          setupFiles: ['test/support/leak-check.setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      'web/vitest.config.ts',
    ],
  },
});
