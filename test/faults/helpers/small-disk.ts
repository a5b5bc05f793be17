import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface SmallDisk {
  dir: string
  /** Fills the filesystem until a write fails (ENOSPC): nothing more fits. */
  fill(): Promise<void>
  /** Frees what fill() took. */
  free(): Promise<void>
  unmount(): void
}

/**
 * Why the full-disk tests cannot run here, or undefined when they can: they mount a small
 * tmpfs, which needs root (CI and the dev container run as root).
 */
export const smallDiskUnavailable: string | undefined = probe()

function probe(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (tmpfs)'
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs (CI runs as root)'
  try {
    const disk = mountSmallDisk(64)
    disk.unmount()
    return undefined
  } catch (error) {
    return `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`
  }
}

/** Mounts a tmpfs of `sizeKb` KiB at a new temporary folder. */
export function mountSmallDisk(sizeKb: number): SmallDisk {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftcore-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const filler = path.join(dir, '.filler')
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a')
      const block = Buffer.alloc(4096, 0x78)
      try {
        for (;;) await handle.write(block)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      } finally {
        await handle.close()
      }
      // Byte by byte into the last partial page, so not even a small write fits.
      const tail = await open(filler, 'a')
      try {
        for (;;) await tail.write(Buffer.alloc(1, 0x78))
      } catch {
        // full
      } finally {
        await tail.close()
      }
    },
    free: () => rm(filler, { force: true }),
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
