import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Kernel } from '../../../src/kernel/open.js'
import { WorkflowService } from '../../../src/workflow/service.js'
import scaffoldCapabilities from '../../../plugins/scaffold/src/hooks/capabilities.js'
import { hashTree } from '../../../plugins/scaffold/src/sandbox/tree.js'
import { listTree, makeDrupalSite } from '../../../plugins/scaffold/test/helpers.js'
import { REPO, tempProject, testKernel, workspacePlugin, type TempProject } from '../../helpers/project.js'
import { DEFAULT_BUNDLE_YAML } from '../../../src/policy/default-bundle.js'

const agent = { type: 'agent', id: 'experimenter' }
let project: TempProject
let kernel: Kernel

beforeEach(async () => {
  // The policy the pack ships for the loop, beside the shipped default as its README says: the
  // sandbox steps run, anything else still asks.
  const policy = await readFile(path.join(REPO, 'packs/drupal/policy/sandbox.yaml'), 'utf8')
  project = await tempProject({
    config: 'launcher:\n  allowlist: [git, php]\n',
    policy: { 'default.yaml': DEFAULT_BUNDLE_YAML, 'sandbox.yaml': policy },
  })
  await makeDrupalSite(path.join(project.dir, 'site-source'))
  kernel = await testKernel(project, [workspacePlugin('scaffold', await scaffoldCapabilities())])
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

it('the safe-experiment workflow runs end to end twice, failing when QA fails; after each run the sandbox is byte-identical to its snapshot', async () => {
  const init = await kernel.gate
    .invoke(
      'sandbox.init',
      { from: 'site-source' },
      { type: 'human', id: 'owner' },
      { approvalId: undefined },
    )
    .catch((e: unknown) => e)
  // Initialising a sandbox is not part of the loop, so the pack's policy still asks a person.
  expect(init).toMatchObject({ code: 'approval_required' })
  const approval = (init as { details: { approval_id: string } }).details.approval_id
  await kernel.approvals.decide(approval, { type: 'human', id: 'lead' }, 'approved')
  await kernel.gate.invoke(
    'sandbox.init',
    { from: 'site-source' },
    { type: 'human', id: 'owner' },
    { approvalId: approval },
  )
  const site = path.join(project.home, 'sandbox', 'site')
  const pristine = await listTree(site)

  const runs = new WorkflowService(kernel, { actor: agent })
  const changes = [
    { content: '<?php\n\nnamespace Drupal\\experiment;\n\nfinal class Greeter {}\n', passes: true },
    { content: '<?php\nfunction experiment_broken( {\n', passes: false },
  ]
  for (const change of changes) {
    const run = await runs.start('safe-experiment', {
      module: 'experiment',
      parts: ['service', 'tests'],
      files: [{ path: 'experiment/src/Greeter.php', content: change.content }],
    })
    // Broken PHP fails the run (QA's verdict); the sandbox is reset all the same.
    expect(run.state.status).toBe(change.passes ? 'succeeded' : 'failed')
    expect(run.state.steps.qa?.status).toBe(change.passes ? 'succeeded' : 'failed')
    expect(run.state.result?.summary).toContain(change.passes ? 'QA passed' : 'QA failed: php-lint')
    const snapshot = run.state.steps.snapshot?.output as { tree_hash: string }
    const qa = run.state.steps.qa?.output as { report: string }
    expect(JSON.parse((await kernel.artifacts.get(qa.report)).toString())).toMatchObject({
      ok: change.passes,
    })
    expect(run.state.steps.reset?.output).toMatchObject({ tree_hash: snapshot.tree_hash, was_clean: false })
    expect((await hashTree(site)).hash).toBe(snapshot.tree_hash)
    expect(await listTree(site)).toEqual(pristine)
  }
})
