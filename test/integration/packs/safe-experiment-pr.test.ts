import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Kernel } from '../../../src/kernel/open.js'
import { WorkflowService } from '../../../src/workflow/service.js'
import scaffoldCapabilities from '../../../plugins/scaffold/src/hooks/capabilities.js'
import { hashTree } from '../../../plugins/scaffold/src/sandbox/tree.js'
import { makeDrupalSite } from '../../../plugins/scaffold/test/helpers.js'
import { giteaCapabilities } from '../../../plugins/gitea/src/hooks/capabilities.js'
import { startGitea, type GiteaStandIn } from '../../../plugins/gitea/test/stand-in/gitea.js'
import { ALLOW_ALL } from '../../../plugins/gitea/test/helpers.js'
import { tempProject, testKernel, workspacePlugin, type TempProject } from '../../helpers/project.js'

// The PR-ending safe experiment against the STAND-IN Gitea (openapi-backend over Gitea's API
// document, git http-backend behind a token check): scaffold in the sandbox, QA, commit the
// module from the sandbox, open the PR, wait for a person, merge at the reviewed head.

const agent = { type: 'agent', id: 'experimenter' }
let project: TempProject
let kernel: Kernel
let gitea: GiteaStandIn

beforeEach(async () => {
  gitea = await startGitea()
  await gitea.seedRepo('acme', 'site', { 'README.md': '# site\n' })
  project = await tempProject({
    config: `launcher:\n  allowlist: [git, php]\ngitea:\n  url: ${gitea.url}\n  token: secret://env/GITEA_TOKEN\n  owner: acme\n`,
    policy: { 'team.yaml': ALLOW_ALL },
  })
  project.env.GITEA_TOKEN = gitea.token
  await makeDrupalSite(path.join(project.dir, 'site-source'))
  kernel = await testKernel(project, [
    workspacePlugin('scaffold', await scaffoldCapabilities()),
    workspacePlugin('gitea', giteaCapabilities),
  ])
  await kernel.gate.invoke('sandbox.init', { from: 'site-source' }, { type: 'human', id: 'owner' }, {})
})
afterEach(async () => {
  await kernel.close()
  await gitea.close()
  await project.cleanup()
})

it('safe-experiment-pr: QA passes, the module is committed from the sandbox, the PR shows QA and the timeline, waits for a person, then is merged at the reviewed head', async () => {
  const runs = new WorkflowService(kernel, { actor: agent })
  const first = await runs.start('safe-experiment-pr', {
    module: 'experiment',
    parts: ['service'],
    files: [
      {
        path: 'experiment/src/Greeter.php',
        content: '<?php\n\nnamespace Drupal\\experiment;\n\nfinal class Greeter {}\n',
      },
    ],
    repo: 'site',
  })
  expect(first.state.status, JSON.stringify(first.state.steps, null, 1)).toBe('suspended')
  expect(first.state.steps.review?.status).toBe('waiting')
  expect(first.state.steps.merge?.status).toBe('pending')

  // The branch holds the scaffolded module, committed from the sandbox.
  const commit = first.state.steps.commit?.output as { commit: string; branch: string }
  expect(commit.branch).toBe('experiment/experiment')
  const tree = await gitea.git('acme', 'site', ['ls-tree', '-r', '--name-only', commit.commit])
  expect(tree).toContain('web/modules/custom/experiment/experiment.info.yml')
  expect(tree).toContain('web/modules/custom/experiment/src/Greeter.php')
  // The sandbox is back at its snapshot before anyone is asked.
  const snapshot = first.state.steps.snapshot?.output as { tree_hash: string }
  expect((await hashTree(path.join(project.home, 'sandbox', 'site'))).hash).toBe(snapshot.tree_hash)

  // The PR body carries the QA result and the run's timeline.
  const pr = first.state.steps.pr?.output as { number: number; body: string; merged: boolean }
  expect(pr.merged).toBe(false)
  expect(pr.body).toContain('## QA: passed')
  expect(pr.body).toContain(`run ${first.state.run_id}`)
  expect(pr.body).toMatch(/1\. snapshot: succeeded/)
  expect(pr.body).toContain(`5. commit: succeeded (${commit.commit} on experiment/experiment`)
  expect(pr.body).toContain('6. review: waiting')
  expect(first.state.steps.reset?.status).toBe('succeeded')
  expect(pr.body).toContain(`driftcore workflow timeline ${first.state.run_id}`)

  // Not merged yet: main is still the seed commit.
  const main = () => gitea.git('acme', 'site', ['ls-tree', '-r', '--name-only', 'refs/heads/main'])
  expect((await main()).trim()).toBe('README.md')

  // The agent cannot approve its own merge; a person does, and the run is resumed.
  const approval = first.state.steps.review!.approval_id!
  await expect(kernel.approvals.decide(approval, agent, 'approved')).rejects.toThrow()
  await kernel.approvals.decide(approval, { type: 'human', id: 'reviewer' }, 'approved', 'ship it')
  const done = await runs.resume(first.state.run_id)
  expect(done.state.status, JSON.stringify(done.state.steps.merge, null, 1)).toBe('succeeded')
  expect(done.state.steps.merge?.output).toMatchObject({ number: pr.number, merged: true })

  // The stand-in has it merged: main holds the module, the PR reads merged.
  expect(await main()).toContain('web/modules/custom/experiment/src/Greeter.php')
  const read = await kernel.gate.invoke('gitea.prGet', { repo: 'site', number: pr.number }, agent, {})
  expect(read.output).toMatchObject({ merged: true })
  expect(gitea.violations).toEqual([])
})

it('safe-experiment-pr: a failed QA chain commits nothing and opens no pull request; the sandbox is reset', async () => {
  const runs = new WorkflowService(kernel, { actor: agent })
  const before = await gitea.git('acme', 'site', ['for-each-ref', '--format=%(refname) %(objectname)'])
  const run = await runs.start('safe-experiment-pr', {
    module: 'experiment',
    files: [{ path: 'experiment/src/Broken.php', content: '<?php\nfunction experiment_broken( {\n' }],
    repo: 'site',
  })
  expect(run.state.status).toBe('failed')
  expect(run.state.steps.qa?.status).toBe('failed')
  expect(run.state.steps.commit?.status).toBe('blocked')
  expect(run.state.steps.pr?.status).toBe('blocked')
  expect(run.state.steps.reset?.status).toBe('succeeded')
  expect(await gitea.git('acme', 'site', ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(before)
  expect(gitea.requests.filter((r) => r.startsWith('POST'))).toEqual([])
})
