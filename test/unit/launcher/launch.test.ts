import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testLauncher } from '../../helpers/launcher.js'
import type { Launcher } from '../../../src/launcher/launch.js'

let dir: string
let launcher: Launcher

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-launch-'))
  launcher = testLauncher(dir, { allowlist: ['true', 'not-installed-anywhere', 'bin/tool'] })
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('launcher.resolve', () => {
  it('names the program run would start, without starting it', () => {
    expect(launcher.resolve('true')).toMatch(/\/true$/)
    expect(launcher.resolve('bin/tool')).toBe(path.join(dir, 'bin/tool'))
  })

  it('refuses what run would refuse: not allowlisted, or allowlisted but not installed', () => {
    expect(() => launcher.resolve('sh')).toThrow(expect.objectContaining({ code: 'forbidden' }))
    expect(() => launcher.resolve('../bin/tool')).toThrow(expect.objectContaining({ code: 'forbidden' }))
    expect(() => launcher.resolve('not-installed-anywhere')).toThrow(
      expect.objectContaining({ code: 'unavailable' }),
    )
  })
})
