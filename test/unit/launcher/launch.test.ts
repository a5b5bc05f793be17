import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redactor } from '../../../src/audit/redact.js'
import { Launcher } from '../../../src/launcher/launch.js'
import { createSecretResolver } from '../../../src/secrets/resolve.js'

let dir: string
let launcher: Launcher

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'driftcore-launch-'))
  const redactor = new Redactor()
  launcher = new Launcher({
    root: dir,
    allowlist: ['true', 'not-installed-anywhere', 'bin/tool'],
    envPassthrough: [],
    defaultTimeoutMs: 10_000,
    killGraceMs: 200,
    maxOutputBytes: 1 << 20,
    maxLogBytes: 1 << 20,
    isolation: 'auto',
    redactor,
    secrets: createSecretResolver({ root: dir, env: process.env, redactor }),
    storeLog: async () => 'artifact://none',
  })
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
