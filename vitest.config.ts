import path from 'node:path'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Plugins import 'driftcore' and 'driftcore/api'; in tests that is the source, so one copy of
  // each module is loaded.
  resolve: {
    alias: [
      { find: /^driftcore$/, replacement: path.resolve(import.meta.dirname, 'src/index.ts') },
      { find: /^driftcore\/api$/, replacement: path.resolve(import.meta.dirname, 'src/api.ts') },
    ],
  },
  test: {
    include: [
      'test/unit/**/*.test.{ts,tsx}',
      'test/integration/**/*.test.ts',
      'test/security/**/*.test.ts',
      'test/faults/**/*.test.ts',
      'test/docs/**/*.test.ts',
      'plugins/*/test/**/*.test.ts',
    ],
    globals: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
