import { afterAll, beforeAll } from 'vitest';
import { formatLeaks, installResourceTrackers, leaksAfterSettling, takeSnapshot, type ResourceSnapshot } from './resource-leaks.js';

/**
 * Tests police their own hygiene (STYLE.md): a server test file that leaves a pg pool, PGlite, a
 * worker thread, a timer, a server or a child process open fails, naming each one and where it was
 * created. Loaded by vitest's `setupFiles` before the file's own imports, so every resource the
 * file creates is seen. Baseline: what is open when the file's first hook runs.
 */
installResourceTrackers();

let baseline: ResourceSnapshot;

beforeAll(() => {
  baseline = takeSnapshot();
});

afterAll(async () => {
  const leaks = await leaksAfterSettling(baseline);
  if (leaks.length === 0) return;
  const message = `This test file left ${leaks.length} resource(s) open; close them in afterAll/afterEach (test/support/leak-check.setup.ts):\n${formatLeaks(leaks)}`;
  // SEMANTIK_TEST_LEAKS=warn: report without failing, to list every leaky file in one run while fixing them.
  if (process.env.SEMANTIK_TEST_LEAKS === 'warn') {
    console.warn(message);
    return;
  }
  throw new Error(message);
});
