// The GitHub Action (action.yml) as a runner runs it: the committed bundle dist/action/index.js on
// the runner's node, inputs as INPUT_* variables, in the workspace, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY pointing at files (test/helpers/action-runner.ts reads them back by
// GitHub's contract); a copy of the repository as a runner downloads it, with no node_modules;
// and `@github/local-action`, GitHub's own local runner for JavaScript actions.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { parse } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runAction as runActionIn, type ActionInputs } from '../helpers/action-runner.js'
import { REPO, tempProject, type TempProject } from '../helpers/project.js'
import { approvalRequests } from '../helpers/approvals-state.js'

const SITE = path.join(REPO, 'sandbox/example-site/config')

let project: TempProject
beforeEach(async () => {
  // The example site lives in the repository, outside the temporary project: the project
  // names it as a folder tools may read, as one keeping its exports elsewhere would.
  project = await tempProject({ config: `files:\n  read_roots: [${JSON.stringify(SITE)}]\n` })
})
afterEach(() => project.cleanup())

const runAction = (inputs: ActionInputs) => runActionIn(project, inputs)

describe('the GitHub Action (stand-in runner: GitHub’s file-command contract)', () => {
  it('drift check reports each drifted object in outputs, the job summary and file annotations; allow-exit-codes keeps the step green', async () => {
    const baseline = path.join(SITE, 'baseline')
    const run = await runAction({
      args: `drift check --baseline ${baseline} --current ${path.join(SITE, 'current')}`,
      allowExitCodes: '20',
    })
    expect(run.exitCode).toBe(0)
    expect(run.outputs['exit-code']).toBe('20')
    const report = JSON.parse(run.outputs.json!) as { drift: boolean; objects: { name: string }[] }
    expect(report.drift).toBe(true)
    expect(report.objects.map((o) => o.name)).toContain('core.extension')
    expect(run.summary).toContain('<h2>driftcore drift check --baseline')
    expect(run.summary).toMatch(
      /<tr><td>core\.extension<\/td><td>changed<\/td><td>module\.devel \(added\)<\/td><\/tr>/,
    )
    expect(run.annotations).toContainEqual({
      level: 'warning',
      properties: { title: 'config drift: core.extension' },
      message: 'core.extension is changed: module.devel (added)',
    })
  })

  it('drift in a config folder inside the workspace annotates the file; without allow-exit-codes the step fails', async () => {
    await execa('cp', ['-r', path.join(SITE, 'baseline'), path.join(project.dir, 'config-sync')])
    const run = await runAction({
      args: `drift check --baseline config-sync --current ${path.join(SITE, 'current')}`,
    })
    expect(run.exitCode).toBe(20)
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        properties: { title: 'config drift: core.extension', file: 'config-sync/core.extension.yml' },
      }),
    )
    expect(run.annotations.filter((a) => a.level === 'error')).toHaveLength(1)
  })

  it('a write tool under the default policy stops at approval: the approval id is an output and the summary says who approves how', async () => {
    const input = JSON.stringify({
      baseline: path.join(SITE, 'baseline'),
      current: path.join(SITE, 'current'),
      objects: ['core.extension'],
    })
    // An argument with spaces would need the JSON array form; this one uses it anyway.
    const run = await runAction({ args: JSON.stringify(['tools', 'call', 'drift.accept', '--input', input]) })
    expect(run.exitCode).toBe(5)
    expect(run.outputs).toMatchObject({ 'exit-code': '5', 'error-code': 'approval_required' })
    const id = run.outputs['approval-id']!
    expect(id).toMatch(/^apr_[0-9a-f]+$/)
    expect(run.summary).toContain(`<code>driftcore approvals approve ${id}</code>`)
    expect(run.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('approval_required') as unknown,
      }),
    ])
    // The request is the CI actor's, recorded like any other caller's.
    const requests = await approvalRequests(project.home)
    expect(requests[id]).toMatchObject({
      requester: { type: 'ci', id: 'octocat' },
      status: 'pending',
    })
  })

  it('a workflow that is not valid gets an error annotation on each problem’s file, line and column', async () => {
    await writeFile(
      path.join(project.dir, 'bad.yaml'),
      'apiVersion: driftcore/v1\nkind: Workflow\nname: bad\nsteps:\n  - { id: a, type: condition, if: "1 == 1" }\n',
    )
    const run = await runAction({ args: 'workflow run bad.yaml' })
    expect(run.exitCode).toBe(2)
    expect(run.outputs['error-code']).toBe('invalid_input')
    expect(run.annotations).toContainEqual({
      level: 'error',
      properties: { title: 'driftcore workflow run bad.yaml', file: 'bad.yaml', line: '5', col: '31' },
      message: 'steps.0.if: unknown key "if"',
    })
    expect(run.annotations.every((a) => a.properties.file === 'bad.yaml')).toBe(true)
  })

  it('workflow run reports the run id and each step’s state, with the failed step as an annotation', async () => {
    await writeFile(
      path.join(project.dir, 'lost.yaml'),
      `apiVersion: driftcore/v1
kind: Workflow
name: lost
steps:
  - { id: check, type: condition, expression: "1 == 1" }
  - { id: deliver, type: worker, topic: nowhere, depends_on: [check] }
  - { id: after, type: worker, topic: nowhere, depends_on: [deliver] }
`,
    )
    const run = await runAction({ args: 'workflow run lost.yaml' })
    expect(run.exitCode).toBe(1)
    const runId = run.outputs['run-id']!
    expect(runId).toMatch(/^run_/)
    expect(JSON.parse(run.outputs.json!)).toMatchObject({ run_id: runId, status: 'failed' })
    expect(run.summary).toContain(`run <code>${runId}</code> failed`)
    expect(run.summary).toMatch(/<tr><td>check<\/td><td>succeeded<\/td>/)
    expect(run.summary).toMatch(
      /<tr><td>deliver<\/td><td>failed<\/td><td>\d*<\/td><td>unavailable: job .* was not delivered/,
    )
    expect(run.summary).toMatch(/<tr><td>after<\/td><td>blocked<\/td>/)
    expect(run.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        properties: { title: 'driftcore workflow run lost.yaml: step deliver' },
        message: expect.stringContaining('no pool takes topic') as unknown,
      }),
    ])
  })

  it('refuses bad inputs with an error annotation and exit 2, running nothing', async () => {
    for (const [inputs, problem] of [
      [{ args: '' }, 'args is empty'],
      [{ args: '["drift", 3]' }, 'array of strings'],
      [{ args: 'tools list', allowExitCodes: 'one' }, 'allow-exit-codes: "one"'],
    ] as const) {
      const run = await runAction(inputs)
      expect(run.exitCode, problem).toBe(2)
      expect(run.annotations, problem).toEqual([
        expect.objectContaining({ level: 'error', message: expect.stringContaining(problem) as unknown }),
      ])
      expect(run.outputs, problem).toEqual({})
    }
  })

  it('a flag oclif does not know is an invalid_input annotation with the reason, with outputs and a summary', async () => {
    const run = await runAction({ args: 'drift check --baseline config-sync --bogus' })
    expect(run.exitCode).toBe(2)
    expect(run.outputs).toMatchObject({ 'exit-code': '2', 'error-code': 'invalid_input' })
    expect(JSON.parse(run.outputs.json!)).toEqual({
      error: {
        code: 'invalid_input',
        message: 'Nonexistent flag: --bogus',
        hint: 'see driftcore drift check --help',
        details: {},
      },
    })
    expect(run.annotations).toEqual([
      {
        level: 'error',
        properties: { title: 'driftcore drift check --baseline config-sync --bogus' },
        message: 'invalid_input: Nonexistent flag: --bogus\nsee driftcore drift check --help',
      },
    ])
    expect(run.summary).toContain('<b>invalid_input</b> (exit 2): Nonexistent flag: --bogus')
  })

  it('an unknown command is an error annotation naming it, with the exit code as an output and the reason in the summary', async () => {
    const run = await runAction({ args: 'drfit check' })
    expect(run.exitCode).toBe(2)
    expect(run.outputs).toEqual({ 'exit-code': '2' })
    expect(run.annotations).toEqual([
      {
        level: 'error',
        properties: { title: 'driftcore drfit check' },
        message: 'command drfit:check not found',
      },
    ])
    expect(run.summary).toContain('<p>❌ Exit 2: command drfit:check not found</p>')
  })

  it('commands left out of the bundle (the review screen, SDK generation) are unknown commands, reported as such', async () => {
    const run = await runAction({ args: 'approvals review' })
    expect(run.exitCode).toBe(2)
    expect(run.annotations).toEqual([
      expect.objectContaining({ level: 'error', message: 'command approvals:review not found' }),
    ])
  })

  it('runs from the repository as a runner downloads it (tracked files only: no node_modules, no build), finding packs, plugin data and guides', async () => {
    // What `uses: driftcore/driftcore@<sha>` puts on a runner: the repository's files at that commit.
    const action = path.join(project.dir, 'action-checkout')
    const tracked = (await execa('git', ['ls-files', '-z'], { cwd: REPO })).stdout.split('\0').filter(Boolean)
    // The bundle as built here, whether or not it is committed yet (CI checks that it is).
    const files = [
      ...new Set([
        ...tracked.filter((f) => !f.startsWith('dist/')),
        'dist/action/index.js',
        'dist/action/cli.js',
      ]),
    ]
    for (const file of files) {
      await mkdir(path.dirname(path.join(action, file)), { recursive: true })
      await cp(path.join(REPO, file), path.join(action, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error // deleted in the work tree, not yet in git
      })
    }
    const inCheckout = (inputs: ActionInputs) => runActionIn(project, inputs, { action })
    // A built-in pack workflow (packs/ beside the bundle) validates.
    const workflow = await inCheckout({ args: 'workflow validate config-drift' })
    expect(workflow.log).not.toMatch(/Cannot find (package|module)/)
    expect(workflow.outputs['exit-code']).toBe('0')
    expect((JSON.parse(workflow.outputs.json!) as { file: string }).file).toBe(
      path.join(action, 'packs/drupal/workflows/config-drift.yaml'),
    )
    // The drush plugin's tools and the host's guides (docs/ beside the bundle) are there.
    const guide = await inCheckout({ args: 'resources read driftcore://docs/guides/github-action' })
    expect(guide.outputs['exit-code']).toBe('0')
    expect(guide.outputs.json).toContain('driftcore in GitHub Actions')
    const drift = await inCheckout({
      args: `drift check --baseline ${path.join(SITE, 'baseline')} --current ${path.join(SITE, 'current')}`,
      allowExitCodes: '20',
    })
    expect(drift).toMatchObject({ exitCode: 0, outputs: { 'exit-code': '20' } })
  })

  it('the bundled CLI offers the same tools, owned by the same plugins, as the installed driftcore', async () => {
    const bundled = await execa(
      process.execPath,
      [path.join(REPO, 'dist/action/cli.js'), 'tools', 'list', '--json'],
      {
        cwd: project.dir,
        env: project.env,
        extendEnv: false,
      },
    )
    const installed = await execa(
      process.execPath,
      [path.join(REPO, 'bin/run.js'), 'tools', 'list', '--json'],
      {
        cwd: project.dir,
        env: project.env,
        extendEnv: false,
      },
    )
    const tools = (stdout: string) =>
      (JSON.parse(stdout) as { id: string; plugin: string }[]).map((t) => `${t.id} ${t.plugin}`)
    // The plugins scripts/build-action.mjs leaves out (LEFT_OUT): a job step opens no pull
    // requests and talks to no cluster.
    const leftOut = ['@driftcore/plugin-gitea', '@driftcore/plugin-tekton']
    const installedTools = tools(installed.stdout)
    expect(installedTools.some((t) => leftOut.some((p) => t.endsWith(` ${p}`)))).toBe(true)
    expect(tools(bundled.stdout)).toEqual(
      installedTools.filter((t) => !leftOut.some((p) => t.endsWith(` ${p}`))),
    )
    expect(tools(bundled.stdout).length).toBeGreaterThan(10)
  })

  it('runs under @github/local-action, GitHub’s local runner for JavaScript actions: inputs from action.yml, outputs, annotations and the summary', async () => {
    await execa('cp', ['-r', path.join(SITE, 'baseline'), path.join(project.dir, 'config-sync')])
    const summary = path.join(project.dir, 'summary.md')
    const dotenv = path.join(project.dir, 'action.env')
    // local-action stubs @actions/core in the action's source, so it runs main.ts (whose
    // driftcore is the committed bundle); working-directory and allow-exit-codes as a job sets them.
    await writeFile(
      dotenv,
      [
        `INPUT_ARGS=drift check --baseline config-sync --current ${path.join(SITE, 'current')}`,
        `INPUT_WORKING-DIRECTORY=${project.dir}`,
        'INPUT_ALLOW-EXIT-CODES=20',
        'GITHUB_ACTOR=octocat',
        `GITHUB_WORKSPACE=${project.dir}`,
        `GITHUB_STEP_SUMMARY=${summary}`,
        '',
      ].join('\n'),
    )
    await writeFile(summary, '')
    const result = await execa(
      path.join(REPO, 'node_modules/.bin/local-action'),
      ['run', REPO, 'src/github-action/main.ts', dotenv],
      {
        cwd: REPO,
        env: { ...project.env, DRIFTCORE_ACTOR: undefined },
        extendEnv: false,
        reject: false,
        all: true,
      },
    )
    const log = String(result.all)
    expect(log, log).toContain('Running Action')
    // Every input and output action.yml declares is listed, so local-action read it.
    for (const name of [
      'args',
      'working-directory',
      'actor',
      'allow-exit-codes',
      'exit-code',
      'json',
      'approval-id',
    ])
      expect(log).toContain(`'${name}'`)
    expect(log).toContain('::set-output name=exit-code::20')
    expect(log).toMatch(/::set-output name=json::\{"drift":true/)
    expect(log).toContain(
      '::warning title=config drift: core.extension,file=config-sync/core.extension.yml::core.extension is changed: module.devel (added)',
    )
    expect(await readFile(summary, 'utf8')).toContain('<h2>driftcore drift check --baseline config-sync')
  }, 180_000)

  it('action.yml is a JavaScript action on node24 running the committed bundle, and main reads every input it declares', async () => {
    const action = parse(await readFile(path.join(REPO, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>
      outputs: Record<string, { value?: string }>
      runs: Record<string, unknown>
    }
    // No composite steps, so no setup-node: the caller's Node is left alone.
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action/index.js' })
    const main = await readFile(path.join(REPO, 'src/github-action/main.ts'), 'utf8')
    const read = [...main.matchAll(/core\.getInput\('([a-z-]+)'\)/g)].map((m) => m[1])
    expect([...new Set(read)].sort()).toEqual(Object.keys(action.inputs).sort())
    const set = new Set<string>()
    for (const file of ['main.ts', 'report.ts']) {
      const text = await readFile(path.join(REPO, 'src/github-action', file), 'utf8')
      for (const m of text.matchAll(/outputs(?:\['([a-z-]+)'\]|\.([a-z]+)) =/g)) set.add(m[1] ?? m[2]!)
      if (text.includes("{ 'exit-code'")) set.add('exit-code')
    }
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort())
  })
})
