import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testLauncher } from '../../helpers/launcher.js'
import type { Launcher } from '../../../src/launcher/launch.js'
import type { Isolation } from '../../../src/launcher/isolation.js'

let dir: string
let launcher: Launcher

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-isolation-'))
  launcher = testLauncher(dir, { allowlist: ['cat', 'touch'], isolation: 'bwrap' })
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const effectiveCapabilities = (status: string) => /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1]

describe('isolated processes', () => {
  // Run as root (CI is), a process that kept its capabilities could remount the read-only root
  // or enter the host's network namespace; without any it can do neither.
  it.each<[string, Isolation]>([
    ['network: none', { network: 'none' }],
    ['a read-only filesystem', { network: 'none', readOnlyExcept: [] }],
  ])('hold no capabilities under %s, even when driftcore runs as root', async (_name, isolation) => {
    const result = await launcher.run({ file: 'cat', args: ['/proc/self/status'], isolation })
    expect(result.exitCode).toBe(0)
    expect(effectiveCapabilities(result.stdout)).toMatch(/^0+$/)
    const unisolated = await launcher.run({ file: 'cat', args: ['/proc/self/status'] })
    expect(effectiveCapabilities(unisolated.stdout)).toBe(
      effectiveCapabilities(await readFile('/proc/self/status', 'utf8')),
    )
  })

  it('leave no file outside the writable paths', async () => {
    const outside = path.join(dir, 'outside')
    const inside = path.join(dir, 'inside')
    await import('node:fs/promises').then((fs) => fs.mkdir(inside))
    const denied = await launcher.run({
      file: 'touch',
      args: [outside],
      isolation: { readOnlyExcept: [inside] },
    })
    // Under /tmp (a private tmpfs in the sandbox) the write lands nowhere; elsewhere it fails.
    if (!outside.startsWith('/tmp/')) expect(denied.exitCode).not.toBe(0)
    const allowed = await launcher.run({
      file: 'touch',
      args: [path.join(inside, 'file')],
      isolation: { readOnlyExcept: [inside] },
    })
    expect(allowed.exitCode).toBe(0)
    await expect(readFile(outside)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readFile(path.join(inside, 'file'), 'utf8')).toBe('')
  })
})
