import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openKernel, type Kernel } from '../../../../src/index.js'
import { coreCapabilities } from '../../../../src/registry/core-capabilities.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { mcpConfigSection } from '../../src/config/section.js'
import { resolveToken } from '../../src/http/token.js'

let project: TempProject
let kernel: Kernel

beforeEach(async () => {
  project = await tempProject()
  kernel = await openKernel({
    home: project.home,
    env: project.env,
    contributions: [
      { plugin: 'driftcore', capabilities: coreCapabilities },
      { plugin: '@driftcore/plugin-mcp', capabilities: { config: { mcp: mcpConfigSection } } },
    ],
  })
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

describe('the MCP token', () => {
  it('is generated once with mode 0600 in state/ (kept out of version control) and then reused', async () => {
    const first = await resolveToken(kernel, {})
    const file = path.join(project.home, 'state', 'mcp-token')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await readFile(file, 'utf8')).trim()).toBe(first.token)
    expect((await resolveToken(kernel, {})).token).toBe(first.token)
  })

  it('is masked by the redactor once resolved', async () => {
    const { token } = await resolveToken(kernel, {})
    expect(kernel.redactor.redactText(`header ${token}`)).toBe('header [REDACTED]')
  })

  it('refuses a token file other users can read, naming the fix', async () => {
    const file = path.join(project.home, 'state', 'mcp-token')
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, 'a-token-that-others-can-read-000\n', { mode: 0o644 })
    await chmod(file, 0o644)
    await expect(resolveToken(kernel, {})).rejects.toMatchObject({
      code: 'forbidden',
      hint: `chmod 600 ${file}`,
    })
  })

  it('refuses a token too short to be a secret', async () => {
    await expect(resolveToken(kernel, { DRIFTCORE_MCP_TOKEN: 'short' })).rejects.toMatchObject({
      code: 'invalid_input',
    })
  })

  it('does not create one when asked only to read', async () => {
    await expect(resolveToken(kernel, {}, { create: false })).rejects.toMatchObject({ code: 'not_found' })
  })
})
