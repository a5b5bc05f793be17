import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/project.js'
import {
  samplePipeline,
  tektonProject,
  type TektonProject,
} from '../../plugins/tekton/test/cluster-helpers.js'
import { KubeStandIn } from '../../plugins/tekton/test/standin/server.js'

/**
 * A hostile agent and the user's Kubernetes credentials: it must not point them at another
 * cluster or namespace, make driftcore run a program outside the launcher to get them, or read
 * them back from an output, an error or the audit log.
 */
describe('tekton: the user’s cluster credentials against a hostile agent', () => {
  let standIn: KubeStandIn
  let project: TektonProject
  const actor = { type: 'human', id: 'tester' }

  beforeAll(async () => {
    standIn = await new KubeStandIn({ namespaces: ['default', 'kube-system'], tickMs: 10 }).start()
    project = await tektonProject(standIn)
  })
  afterAll(async () => {
    await standIn.stop()
    await project.cleanup()
  })

  it.each([
    ['-c', 'tekton.namespace=kube-system'],
    ['-c', 'tekton.kubeconfig=/tmp/attacker-kubeconfig'],
    ['-c', 'tekton.context=attacker'],
    ['-c', 'tekton.exec_credentials=allow'],
  ])('%s %s is refused (forbidden) and nothing reaches the cluster', async (flag, value) => {
    const seen = standIn.requests.length
    const r = await runCli(project, [
      'tools',
      'call',
      'tekton.pipelineRunStatus',
      '--input',
      '{"name":"x"}',
      flag,
      value,
    ])
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain(value.split('=')[0]!)
    expect(standIn.requests.length).toBe(seen)
  })

  it('DRIFTCORE_TEKTON__NAMESPACE is refused like -c', async () => {
    const r = await runCli(
      project,
      ['tools', 'call', 'tekton.pipelineRunStatus', '--input', '{"name":"x"}'],
      {
        env: { DRIFTCORE_TEKTON__NAMESPACE: 'kube-system' },
      },
    )
    expect(r.exitCode).toBe(11)
    expect(r.stderr).toContain('DRIFTCORE_TEKTON__NAMESPACE')
  })

  it('a PipelineRun whose metadata names another namespace is refused, and nothing is created there', async () => {
    const kernel = await project.kernel()
    try {
      const input = samplePipeline('escape', [{ name: 'one' }])
      ;(input.pipelineRun.metadata as Record<string, unknown>).namespace = 'kube-system'
      await expect(kernel.gate.invoke('tekton.pipelineRunCreate', input, actor)).rejects.toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining('"kube-system"') as string,
      })
      expect(standIn.store.list('pipelineruns', { namespace: 'kube-system' })).toEqual([])
      expect(standIn.store.list('pipelines', {})).toEqual([])
    } finally {
      await kernel.close()
    }
  })

  it('a kubeconfig user that gets its token by running a program is refused, and the program never runs', async () => {
    const marker = path.join(project.dir, 'exec-ran')
    const evil = path.join(project.dir, 'exec-kubeconfig')
    await writeFile(
      evil,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: standIn.url, 'insecure-skip-tls-verify': true } }],
        users: [
          {
            name: 'u',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: '/bin/sh',
                args: ['-c', `touch ${marker}`],
              },
            },
          },
        ],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    )
    const other = await tektonProject(standIn)
    try {
      await writeFile(path.join(other.home, 'config.yaml'), `tekton:\n  kubeconfig: ${evil}\n`)
      const kernel = await other.kernel()
      try {
        await expect(
          kernel.gate.invoke('tekton.pipelineRunStatus', { name: 'x' }, actor),
        ).rejects.toMatchObject({
          code: 'forbidden',
          message: expect.stringContaining('outside driftcore') as string,
        })
      } finally {
        await kernel.close()
      }
      expect(existsSync(marker)).toBe(false)
    } finally {
      await other.cleanup()
    }
  })

  it('a token the API server refuses is in no error, output or audit record', async () => {
    const wrong = 'sekrit-token-' + 'x'.repeat(20)
    const other = await tektonProject(standIn)
    try {
      const file = path.join(other.dir, 'kubeconfig')
      const config = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'))) as {
        users: { user: { token: string } }[]
      }
      config.users[0]!.user.token = wrong
      await writeFile(file, JSON.stringify(config))
      const r = await runCli(other, [
        'tools',
        'call',
        'tekton.pipelineRunStatus',
        '--input',
        '{"name":"x"}',
        '--json',
      ])
      expect(r.exitCode).toBe(11)
      expect(JSON.parse(r.stdout)).toMatchObject({
        error: { code: 'forbidden', message: expect.stringContaining('401') as string },
      })
      expect(r.stdout + r.stderr).not.toContain(wrong)
      expect(await other.auditText()).not.toContain(wrong)
    } finally {
      await other.cleanup()
    }
  })
})
