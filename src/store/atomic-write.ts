import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { writeFailed } from './append.js'

/**
 * Write-then-rename so a reader sees the old file or the new one, never half of either,
 * and fsync both file and folder so a crash after we return cannot undo the write. Text given
 * as pieces (see store/pieces.ts) is written piece by piece.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array | Iterable<string>,
  options: { mode?: number; sync?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const temp = await writeTempBeside(file, data, options)
  try {
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  if (options.sync !== false) await syncDir(dir)
}

/**
 * Writes `data` to a hidden temporary file in `file`'s folder (so a rename onto `file` is
 * atomic) and returns its path; the caller renames or removes it. Removed again if writing fails.
 */
export async function writeTempBeside(
  file: string,
  data: string | Uint8Array | Iterable<string>,
  options: { mode?: number; sync?: boolean } = {},
): Promise<string> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'w', options.mode ?? 0o644)
    try {
      await handle.writeFile(data)
      if (options.sync !== false) await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    await rm(temp, { force: true })
    throw await writeFailed(file, error)
  }
  return temp
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    await handle.close()
  }
}
