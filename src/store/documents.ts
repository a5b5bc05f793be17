import { readdir, readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { Low, type Adapter } from 'lowdb'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { writeFileAtomic } from './atomic-write.js'
import { withFileLock } from './file-lock.js'

/** lowdb adapter whose writes are atomic and fsynced, so a crash never leaves half a document. */
class DurableJsonFile<T> implements Adapter<T> {
  constructor(private readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new DriftcoreError('integrity', `${this.file} is not valid JSON: ${(error as Error).message}`, {
        hint: 'restore it from a backup or delete it to start over',
        cause: error,
      })
    }
  }

  async write(data: T): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n')
  }
}

/**
 * A small JSON document of project state (approvals, locks, snapshot index…). Reads are
 * lock-free because writes replace the file atomically; updates run read-modify-write under a
 * cross-process lock so two processes never lose each other's changes.
 */
export class JsonDocument<T> {
  private readonly db: Low<T>

  constructor(
    readonly file: string,
    private readonly defaults: () => T,
  ) {
    this.db = new Low<T>(new DurableJsonFile<T>(file), defaults())
  }

  async read(): Promise<T> {
    await this.load()
    return this.db.data
  }

  private swept = false

  // Under the lock nobody else is writing this document, so a temporary file of its name is
  // what a writer killed between writing and renaming left behind. Looked for once a process.
  private async sweepTemps(): Promise<void> {
    this.swept = true
    const prefix = `.${path.basename(this.file)}.`
    const names = await readdir(path.dirname(this.file)).catch(() => [] as string[])
    for (const name of names) {
      if (name.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length)))
        await rm(path.join(path.dirname(this.file), name), { force: true })
    }
  }

  // lowdb keeps its previous data when the file is missing; start from the defaults instead.
  private async load(): Promise<void> {
    this.db.data = this.defaults()
    await this.db.read()
  }

  async update<R>(fn: (data: T) => R | Promise<R>): Promise<R> {
    return withFileLock(this.file, async () => {
      if (!this.swept) await this.sweepTemps()
      await this.load()
      const result = await fn(this.db.data)
      await this.db.write()
      return result
    })
  }
}
