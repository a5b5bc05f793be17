import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, runCli, tempProject, type TempProject } from '../helpers/project.js'

// The tekton compiler turns a workflow an agent may have written into documents a cluster runs.
// Each test is what a hostile author tries: smuggle Tekton substitutions into a step, point
// --out at the project's policy, run an image nobody pinned, read the token into a document.
const IMAGE = 'registry.example/driftcore-runner:0.1.0'
let project: TempProject

const workflow = (withValue: string) => `apiVersion: driftcore/v1
kind: Workflow
name: sneaky
input: { type: object, properties: { site: { type: string } } }
steps:
  - id: look
    type: worker
    tool: audit.verify
  - id: tell
    type: notify
    depends_on: [look]
    message: ${JSON.stringify(withValue)}
`

beforeAll(async () => {
  project = await tempProject()
  expect((await runCli(project, ['init'])).exitCode).toBe(0)
  await writeFile(path.join(project.dir, 'ok.yaml'), workflow('checked ${{ inputs.site }}'))
})
afterAll(() => project.cleanup())

const compile = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(project, ['workflow', 'compile', ...args, '--target', 'tekton'], { env })

describe('tekton compile attacks', () => {
  it('refuses a step whose text Tekton would substitute ($(params…), $(context…)), writing nothing', async () => {
    await writeFile(
      path.join(project.dir, 'inject.yaml'),
      workflow('token is $(params.driftcore-token-secret)'),
    )
    const out = path.join(project.dir, 'inject-out')
    const result = await compile(['inject.yaml', '--image', IMAGE, '--out', out])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/step tell: message: Tekton substitutes every \$\(…\)/)
    expect(result.stdout).toBe('')
    await expect(lstat(out)).rejects.toThrow(/ENOENT/)
  })

  it('refuses a run input that carries a Tekton substitution', async () => {
    const result = await compile(['ok.yaml', '--image', IMAGE, '--input', 'site=$(context.taskRun.name)'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/inputs\.site: Tekton substitutes/)
    expect(result.stdout).toBe('')
  })

  it('refuses an image that is not pinned: latest, or no tag at all', async () => {
    for (const image of ['registry.example/driftcore-runner:latest', 'registry.example/driftcore-runner']) {
      const result = await compile(['ok.yaml', '--image', image])
      expect(result.exitCode, image).toBe(2)
      expect(result.stderr).toMatch(/is not pinned/)
    }
    const digest = `registry.example/driftcore-runner@sha256:${'a'.repeat(64)}`
    expect((await compile(['ok.yaml', '--image', digest, '--json'])).exitCode).toBe(0)
  })

  it('will not write into .driftcore/, named directly or through a symlink', async () => {
    const policy = path.join(project.home, 'policy')
    const before = await readdir(policy)
    const direct = await compile(['ok.yaml', '--image', IMAGE, '--out', policy])
    expect(direct.exitCode).toBe(11)
    expect(direct.stderr).toMatch(/holds the project's policy and audit log/)
    await symlink(policy, path.join(project.dir, 'k8s-link'))
    const linked = await compile(['ok.yaml', '--image', IMAGE, '--out', 'k8s-link'])
    expect(linked.exitCode).toBe(11)
    expect(await readdir(policy)).toEqual(before)
  })

  it('replaces a planted symlink in --out instead of writing through it', async () => {
    const out = path.join(project.dir, 'k8s')
    await mkdir(out)
    const victim = path.join(project.dir, 'victim.txt')
    await writeFile(victim, 'keep me\n')
    await symlink(victim, path.join(out, 'sneaky-pipeline.yaml'))
    const result = await compile(['ok.yaml', '--image', IMAGE, '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await readFile(victim, 'utf8')).toBe('keep me\n')
    expect((await lstat(path.join(out, 'sneaky-pipeline.yaml'))).isSymbolicLink()).toBe(false)
    expect(await readFile(path.join(out, 'sneaky-pipeline.yaml'), 'utf8')).toMatch(/kind: Pipeline/)
  })

  it('puts no token in any document: tasks read it from a Secret by name', async () => {
    const token = 'dc-task-token-0123456789abcdef0123456789abcdef'
    const result = await compile(['ok.yaml', '--image', IMAGE, '--json'], {
      DRIFTCORE_MCP_TOKEN: token,
      DRIFTCORE_SERVER_TOKEN: token,
    })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).not.toContain(token)
    const [task] = json<{ documents: any[] }>(result).documents
    expect(task.spec.steps[0].env).toEqual([
      {
        name: 'DRIFTCORE_MCP_TOKEN',
        valueFrom: { secretKeyRef: { name: '$(params.token-secret)', key: 'token' } },
      },
    ])
  })

  it('refuses a step reading env: in a pod that is the image’s environment, not the project’s', async () => {
    const env = await tempProject({ config: 'workflow:\n  env_allowlist: [DEPLOY_TARGET]\n' })
    try {
      await writeFile(path.join(env.dir, 'env.yaml'), workflow('to ${{ env.DEPLOY_TARGET }}'))
      const result = await runCli(env, [
        'workflow',
        'compile',
        'env.yaml',
        '--target',
        'tekton',
        '--image',
        IMAGE,
      ])
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toMatch(/step tell: env\.DEPLOY_TARGET: env reads the environment of the machine/)
    } finally {
      await env.cleanup()
    }
  })
})
