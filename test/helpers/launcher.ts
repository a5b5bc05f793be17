import { Redactor } from '../../src/audit/redact.js'
import { Launcher, type LauncherOptions } from '../../src/launcher/launch.js'
import { createSecretResolver } from '../../src/secrets/resolve.js'

/** A launcher rooted at `root` with small, fast defaults, for tests of the launcher itself. */
export function testLauncher(
  root: string,
  options: Partial<LauncherOptions> & Pick<LauncherOptions, 'allowlist'>,
): Launcher {
  const redactor = new Redactor()
  return new Launcher({
    root,
    envPassthrough: [],
    defaultTimeoutMs: 10_000,
    killGraceMs: 200,
    maxOutputBytes: 1 << 20,
    maxLogBytes: 1 << 20,
    isolation: 'auto',
    redactor,
    secrets: createSecretResolver({ root, env: process.env, redactor }),
    storeLog: async () => 'artifact://none',
    ...options,
  })
}
