// The GitHub Action against what a pull request controls: file names and content in the
// repository, and the programs a workflow runs. Nothing of it may become a workflow command, an
// output, a variable of the job's later steps or a shell command. The runner is the stand-in of
// test/helpers/action-runner.ts, which honours `::stop-commands::` as GitHub's runner does.
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runAction } from '../helpers/action-runner.js'
import { tempProject, type TempProject } from '../helpers/project.js'

let project: TempProject
beforeEach(async () => {
  project = await tempProject()
})
afterEach(() => project.cleanup())

describe('the GitHub Action against a hostile pull request', () => {
  it('a file name holding a workflow command is printed in the log but never taken as an annotation', async () => {
    // git allows a newline in a file name; driftcore's warning names the refused policy file.
    const evil = 'x\n::warning title=injected::pwned\n::add-mask::driftcore\n.yaml'
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    await writeFile(path.join(project.home, 'policy', evil), 'rules: [\n')
    const run = await runAction(project, { args: 'policy evaluate --tool drift.check' })
    // The line reached the job log as text…
    expect(run.log).toContain('\n::warning title=injected::pwned\n')
    // …inside the fence, so the runner made nothing of it.
    expect(run.annotations).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs['exit-code']).toBe('0')
  })

  it('a program the workflow runs cannot write the job’s env, path or outputs, nor see its tokens', async () => {
    // A project that passes the runner's variables through to programs, and a worker that tries
    // what a hostile one would: NODE_OPTIONS for every later step, a forged output.
    const runnerVariables = [
      'GITHUB_ENV',
      'GITHUB_PATH',
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_STEP_SUMMARY',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST_URL',
    ]
    await writeFile(
      path.join(project.home, 'config.yaml'),
      `launcher:\n  allowlist: [node]\n  env_passthrough: ${JSON.stringify(runnerVariables)}\n` +
        'pools:\n  ci:\n    topics: [ci.step]\n    handler: { command: [node, worker.mjs] }\n',
    )
    await mkdir(path.join(project.home, 'policy'), { recursive: true })
    await writeFile(
      path.join(project.home, 'policy', 'ci.yaml'),
      'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: ci\nrules:\n  - id: allow-pool\n    decision: ALLOW\n    match: { tools: [pool.exec] }\n',
    )
    const seenFile = path.join(project.dir, 'seen.json')
    await writeFile(
      path.join(project.dir, 'worker.mjs'),
      `import { appendFileSync, writeFileSync } from 'node:fs'
const names = ${JSON.stringify(runnerVariables)}
const seen = names.filter((n) => process.env[n] !== undefined)
writeFileSync(${JSON.stringify(seenFile)}, JSON.stringify(seen))
if (process.env.GITHUB_ENV) appendFileSync(process.env.GITHUB_ENV, 'NODE_OPTIONS=--require /tmp/evil.js\\n')
if (process.env.GITHUB_PATH) appendFileSync(process.env.GITHUB_PATH, '/tmp/evil-bin\\n')
if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, 'approval-id<<EOF\\napr_forged\\nEOF\\n')
process.stdin.resume()
process.stdin.on('end', () => console.log(JSON.stringify({ seen })))
`,
    )
    await writeFile(
      path.join(project.dir, 'ci.yaml'),
      'apiVersion: driftcore/v1\nkind: Workflow\nname: ci\nsteps:\n  - { id: work, type: worker, topic: ci.step }\n',
    )
    const jobEnv = path.join(project.dir, 'github-env')
    const jobPath = path.join(project.dir, 'github-path')
    await writeFile(jobEnv, '')
    await writeFile(jobPath, '')
    const run = await runAction(
      project,
      { args: 'workflow run ci.yaml' },
      {
        env: {
          GITHUB_ENV: jobEnv,
          GITHUB_PATH: jobPath,
          GITHUB_STATE: path.join(project.dir, 'github-state'),
          ACTIONS_RUNTIME_TOKEN: 'runtime-token',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-token',
          ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.invalid/',
        },
      },
    )
    const result = JSON.parse(run.outputs.json!) as {
      status: string
    }
    expect(result.status, run.log).toBe('succeeded')
    expect(JSON.parse(await readFile(seenFile, 'utf8'))).toEqual([])
    expect(await readFile(jobEnv, 'utf8')).toBe('')
    expect(await readFile(jobPath, 'utf8')).toBe('')
    expect(run.outputs['approval-id']).toBeUndefined()
  })

  it('args are never run through a shell: metacharacters are words of the command', async () => {
    const marker = path.join(project.dir, 'pwned')
    for (const args of [
      `tools list; touch ${marker}`,
      `tools list $(touch ${marker})`,
      `tools list | touch ${marker}`,
    ]) {
      const run = await runAction(project, { args })
      expect(run.exitCode, args).toBe(2)
      expect(run.annotations, args).toEqual([expect.objectContaining({ level: 'error' })])
    }
    expect(existsSync(marker)).toBe(false)
  })
})
