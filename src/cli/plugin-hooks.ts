import type { Config } from '@oclif/core'

/** oclif's lifecycle hooks that every command runs through, for every plugin. */
export const LIFECYCLE_HOOKS: ReadonlySet<string> = new Set(['init', 'prerun', 'postrun', 'finally'])

type RunHook = Config['runHook']
type HookFailure = { plugin: { name: string; isRoot: boolean; type: string }; error: Error }

// The lifecycle hooks skipped in this process, for `doctor`.
const skipped: { plugin: string; event: string; message: string }[] = []

/** The installed plugins whose lifecycle hook failed (and was skipped) in this process. */
export function skippedHooks(): readonly { plugin: string; event: string; message: string }[] {
  return skipped
}

/**
 * oclif lets any plugin's `init` or `prerun` hook that throws an oclif error (`this.error()`)
 * end every command, `plugins uninstall` included, so one broken installed plugin took the CLI
 * and `mcp serve` down and could not even be removed. Here an installed or linked plugin's
 * lifecycle hook that fails is skipped with a warning naming it; a failure of driftcore's own
 * or a bundled plugin's hook still ends the command, as before.
 */
export function containPluginHooks(ConfigClass: { prototype: Config }): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its own config as `this`
  const original = ConfigClass.prototype.runHook
  const contained = async function (this: Config, ...args: Parameters<RunHook>) {
    const [event, opts, timeout, captureErrors] = args
    if (captureErrors || !LIFECYCLE_HOOKS.has(String(event))) return original.apply(this, args)
    const result = await original.call(this, event, opts, timeout, true)
    for (const { plugin, error } of result.failures as HookFailure[]) {
      if (plugin.isRoot || plugin.type === 'core') {
        if (rethrown(error)) throw error
        continue
      }
      skipped.push({ plugin: plugin.name, event: String(event), message: error.message })
      process.stderr.write(
        `Warning: plugin ${plugin.name} failed in its ${String(event)} hook, which is skipped: ${error.message}\n` +
          `  fix the plugin, or remove it: driftcore plugins uninstall ${plugin.name}\n`,
      )
    }
    return result
  }
  ConfigClass.prototype.runHook = contained as RunHook
}

// What oclif itself rethrows from a hook when errors are not captured.
function rethrown(error: Error & { oclif?: { exit?: number }; code?: string }): boolean {
  return error.oclif?.exit !== undefined && error.oclif.exit !== 0 && error.code !== 'MODULE_NOT_FOUND'
}
