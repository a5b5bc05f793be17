/**
 * The GitHub Action's entry point (see action.yml): runs one driftcore command in the job's
 * project folder, then hands GitHub its exit code and JSON result as step outputs, a job
 * summary, and annotations. @actions/core writes GitHub's file commands (delimited multi-line
 * outputs, the summary file, escaped annotations) so this module only decides what to say.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '@actions/core'
import { execa } from 'execa'
import { isDriftcoreError } from '../errors/driftcore-error.js'
import { allowedExitCodes, commandArguments } from './arguments.js'
import { parseOutput, reportOf } from './report.js'

const CLI = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

async function main(): Promise<number> {
  const args = commandArguments(process.env.DRIFTCORE_ACTION_ARGS)
  const allowed = allowedExitCodes(process.env.DRIFTCORE_ACTION_ALLOW_EXIT_CODES)
  core.info(`driftcore ${args.join(' ')}`)
  // stderr (progress, warnings) goes straight to the job log; stdout is the result.
  const result = await execa(process.execPath, [CLI, ...args], {
    reject: false,
    stdin: 'ignore',
    stderr: 'inherit',
    maxBuffer: 256 * 1024 * 1024,
  })
  const exitCode = result.exitCode ?? 1
  const output = parseOutput(String(result.stdout))
  if (output === undefined && result.stdout) core.info(String(result.stdout))
  const report = reportOf(args, exitCode, output, {
    cwd: process.cwd(),
    allowed: allowed.has(exitCode),
    ...(process.env.GITHUB_WORKSPACE ? { workspace: path.resolve(process.env.GITHUB_WORKSPACE) } : {}),
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
  if (allowed.has(exitCode)) return 0
  if (!report.annotations.some((a) => a.level === 'error'))
    core.error(`driftcore exited with ${exitCode}`, { title: report.title })
  return exitCode
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    core.error(
      isDriftcoreError(error) ? `${error.message}${error.hint ? `\n${error.hint}` : ''}` : String(error),
      {
        title: 'driftcore action',
      },
    )
    process.exitCode = isDriftcoreError(error) && error.code === 'invalid_input' ? 2 : 1
  },
)
