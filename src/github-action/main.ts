/**
 * The GitHub Action (see action.yml): runs one driftcore command in the job's project folder,
 * then hands GitHub its exit code and JSON result as step outputs, a job summary, and
 * annotations. @actions/core writes GitHub's file commands (delimited multi-line outputs, the
 * summary file, escaped annotations) so this module only decides what to say. `run()` is what
 * a runner (through index.ts) and `@github/local-action` call.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { isDriftcoreError } from '../errors/driftcore-error.js'
import { allowedExitCodes, commandArguments } from './arguments.js'
import { parseOutput, reportOf, stderrReason } from './report.js'

// The committed bundle of driftcore itself, from the source tree and from dist/action/ alike.
const CLI = fileURLToPath(new URL('../../dist/action/cli.js', import.meta.url))
// What the summary keeps of the command's stderr when it printed no JSON result.
const STDERR_TAIL = 16 * 1024

/**
 * The runner's file commands and tokens are the action's alone: a program driftcore runs (a
 * Drush the pull request controls, a pool's worker) that could write GITHUB_ENV would set
 * NODE_OPTIONS or PATH for every later step of the job, and GITHUB_OUTPUT would forge this step's
 * outputs. The command does not get them, whatever the project passes through to programs.
 */
const RUNNER_ONLY =
  /^(GITHUB_(ENV|PATH|OUTPUT|STATE|STEP_SUMMARY)|ACTIONS_(RUNTIME_(TOKEN|URL)|ID_TOKEN_REQUEST_(TOKEN|URL)|CACHE_URL|RESULTS_URL))$/
// The inputs are read here; the command has its arguments.
const INPUT = /^INPUT_/

export function commandEnv(env: NodeJS.ProcessEnv, actor: string | undefined): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(env).filter(([k]) => !RUNNER_ONLY.test(k) && !INPUT.test(k)))
  return { ...kept, ...(actor ? { DRIFTCORE_ACTOR: actor } : {}) }
}

interface Finished {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * The command in a child process, on the runner's own node: stdout is its result, stderr goes
 * to the job log as it comes. Nothing the command prints is taken as a workflow command (a
 * config key, a tool's message or a branch name could hold `::add-mask::` or `::error::`).
 */
function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({
        exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr,
      })
    })
  })
}

/** Runs the action and returns the step's exit code (also set as process.exitCode). */
export async function run(): Promise<number> {
  let code: number
  try {
    code = await action()
  } catch (error) {
    core.error(
      isDriftcoreError(error) ? `${error.message}${error.hint ? `\n${error.hint}` : ''}` : String(error),
      { title: 'driftcore action' },
    )
    code = isDriftcoreError(error) && error.code === 'invalid_input' ? 2 : 1
  }
  process.exitCode = code
  return code
}

async function action(): Promise<number> {
  const args = commandArguments(core.getInput('args'))
  const allowed = allowedExitCodes(core.getInput('allow-exit-codes'))
  const workspace = process.env.GITHUB_WORKSPACE ? path.resolve(process.env.GITHUB_WORKSPACE) : undefined
  const cwd = path.resolve(workspace ?? process.cwd(), core.getInput('working-directory') || '.')
  const actor =
    core.getInput('actor') ||
    (process.env.GITHUB_ACTOR ? `ci:${process.env.GITHUB_ACTOR}` : process.env.DRIFTCORE_ACTOR)
  core.info(`driftcore ${args.join(' ')}`)
  // Until the token comes back, the runner reads no workflow commands: only what this module
  // says after the command (escaped by @actions/core) becomes an output or an annotation.
  const token = randomBytes(16).toString('hex')
  process.stdout.write(`::stop-commands::${token}\n`)
  let result: Finished
  let output: unknown
  try {
    result = await runCli(args, cwd, commandEnv(process.env, actor))
    output = parseOutput(result.stdout)
    if (output === undefined && result.stdout) process.stdout.write(`${result.stdout}\n`)
  } finally {
    process.stdout.write(`\n::${token}::\n`)
  }
  const report = reportOf(args, result.exitCode, output, {
    cwd,
    allowed: allowed.has(result.exitCode),
    ...(workspace ? { workspace } : {}),
    ...(output === undefined ? { reason: stderrReason(result.stderr) } : {}),
  })
  for (const [name, value] of Object.entries(report.outputs)) core.setOutput(name, value)
  for (const a of report.annotations)
    core[a.level](a.message, {
      title: a.title,
      ...(a.file ? { file: a.file } : {}),
      ...(a.startLine ? { startLine: a.startLine } : {}),
      ...(a.startColumn ? { startColumn: a.startColumn } : {}),
    })
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(report.summary).write()
  if (allowed.has(result.exitCode)) return 0
  if (!report.annotations.some((a) => a.level === 'error'))
    core.error(`driftcore exited with ${result.exitCode}`, { title: report.title })
  return result.exitCode
}
