import { existsSync } from 'node:fs'
import path from 'node:path'
import { watch, type FSWatcher } from 'chokidar'

/** The files whose change alters what the server offers or decides. */
export interface WatchPlan {
  /** Config layers and the plugin list: a change opens a fresh kernel. */
  reopen: string[]
  /** Policy bundles and the policy index (rollback pins): a change reloads the policy. */
  policy: string[]
  /** Paths inside those never to react to (policy snapshots, written by a reload itself). */
  ignore: string[]
}

export interface Watching {
  /** Resolves once the initial scan is done, so changes after it are seen. */
  ready: Promise<void>
  close(): Promise<void>
}

/**
 * Watches the plan's paths and calls back once per burst of events. A path that does not
 * exist yet (no plugins installed, no project config) is watched from its nearest existing
 * folder, with everything off the way to it ignored, so creating it is seen too.
 */
export function watchFiles(
  plan: WatchPlan,
  on: { reopen: (file: string) => void; policy: (file: string) => void },
  debounceMs = 150,
): Watching {
  const settle = debounce(debounceMs)
  const ignored = (file: string) => plan.ignore.some((i) => file === i || file.startsWith(i + path.sep))
  const start = (targets: string[], fire: (file: string) => void): FSWatcher => {
    // On the way to a target (a folder about to hold it), the target, or inside it.
    const relevant = (file: string) =>
      targets.some((t) => file === t || file.startsWith(t + path.sep) || t.startsWith(file + path.sep))
    return watch([...new Set(targets.map(existingAncestor))], {
      ignoreInitial: true,
      depth: 8,
      ignored: (file) => !relevant(file) || ignored(file),
    }).on('all', (_event, file) => settle(fire, file))
  }
  const watchers = [start(plan.reopen, on.reopen), start(plan.policy, on.policy)]
  return {
    ready: Promise.all(
      watchers.map((w) => new Promise<void>((resolve) => w.once('ready', () => resolve()))),
    ).then(() => undefined),
    close: async () => {
      settle.cancel()
      await Promise.all(watchers.map((w) => w.close()))
    },
  }
}

function existingAncestor(file: string): string {
  let dir = path.resolve(file)
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return dir
}

function debounce(ms: number) {
  const timers = new Map<(file: string) => void, NodeJS.Timeout>()
  const settle = (fire: (file: string) => void, file: string) => {
    clearTimeout(timers.get(fire))
    timers.set(
      fire,
      setTimeout(() => {
        timers.delete(fire)
        fire(file)
      }, ms),
    )
  }
  settle.cancel = () => {
    for (const timer of timers.values()) clearTimeout(timer)
    timers.clear()
  }
  return settle
}
