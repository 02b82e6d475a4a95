import { defineConfig } from 'vitest/config';

// Two projects (STYLE rule 10): `unit` = pure code next to its source, no network; `integration` = the real
// service with a real Redis (started per file by test/helpers/redis.ts) and fake PSA servers on loopback.
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'connectors/**/*.test.ts',
            'test/contract/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          testTimeout: 20_000,
          // Projects with different maxWorkers need their own group: the unit files run first, then the integration ones.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/reliability/**/*.test.ts',
            'test/security/**/*.test.ts',
            'test/browser/**/*.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
          // These files mostly wait (on Redis, fake PSAs, debounce and lock timers), one Redis each: two at a time use
          // a 2-core CI machine (the default there is one worker, cores − 1) and halve the wall time. Waits are events
          // with generous bounds (test/helpers/wait.ts), so a busy neighbour slows a file down without failing it.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
