import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { Actor } from '../../audit/record.js'
import { writeFileAtomic } from '../../store/atomic-write.js'

export interface CancelRequest {
  by: Actor
  reason: string
  at: string
}

/** Asks whoever works on a run to cancel it: a file beside the journal, which only the owner writes. */
export async function requestCancel(file: string, request: CancelRequest): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(request) + '\n')
}

export async function readCancel(file: string): Promise<CancelRequest | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CancelRequest
  } catch {
    return undefined
  }
}

/**
 * Calls `onCancel` once a cancel request appears: inotify tells at once, a poll covers
 * filesystems where it does not, so a `workflow cancel` from another process lands well
 * within a second.
 */
export function watchCancel(
  dir: string,
  file: string,
  pollMs: number,
  onCancel: (request: CancelRequest) => void,
): () => void {
  let done = false
  const check = () => {
    if (done) return
    void readCancel(file).then((request) => {
      if (request && !done) {
        done = true
        stop()
        onCancel(request)
      }
    })
  }
  let watcher: FSWatcher | undefined
  try {
    watcher = watch(dir, (_event, name) => {
      if (name === null || String(name) === 'cancel.json') check()
    })
    watcher.on('error', () => undefined)
  } catch {
    watcher = undefined
  }
  const poll = setInterval(check, Math.min(pollMs, 250))
  poll.unref()
  const stop = () => {
    done = true
    clearInterval(poll)
    watcher?.close()
  }
  check()
  return stop
}
