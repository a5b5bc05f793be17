// A stand-in for the GitHub runner running the driftcore action (action.yml): `node
// <action>/dist/action/index.js` in the workspace, inputs as INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY pointing at files. The files and the workflow commands on stdout are read
// back by GitHub's documented contract, including `::stop-commands::`, which the runner honours.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { execa } from 'execa'
import { expect } from 'vitest'
import { REPO, type TempProject } from './project.js'

export interface ActionInputs {
  args: string
  allowExitCodes?: string
  actor?: string
  workingDirectory?: string
}

export interface Annotation {
  level: string
  properties: Record<string, string>
  message: string
}

export interface ActionRun {
  exitCode: number
  outputs: Record<string, string>
  summary: string
  annotations: Annotation[]
  /** The job log: stdout and stderr as the runner shows them. */
  log: string
}

/** Inputs as a runner passes them: `INPUT_<NAME>`, upper-cased, hyphens kept. */
export function inputEnv(inputs: ActionInputs): Record<string, string> {
  return {
    INPUT_ARGS: inputs.args,
    'INPUT_ALLOW-EXIT-CODES': inputs.allowExitCodes ?? '',
    INPUT_ACTOR: inputs.actor ?? '',
    'INPUT_WORKING-DIRECTORY': inputs.workingDirectory ?? '.',
  }
}

export async function runAction(
  project: TempProject,
  inputs: ActionInputs,
  options: { action?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ActionRun> {
  const outputFile = path.join(project.dir, 'github-output')
  const summaryFile = path.join(project.dir, 'github-summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const result = await execa(process.execPath, [path.join(options.action ?? REPO, 'dist/action/index.js')], {
    cwd: project.dir,
    env: {
      ...project.env,
      DRIFTCORE_ACTOR: undefined,
      ...inputEnv(inputs),
      GITHUB_ACTOR: 'octocat',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_WORKSPACE: project.dir,
      ...options.env,
    },
    extendEnv: false,
    reject: false,
    all: true,
  })
  return {
    exitCode: result.exitCode ?? -1,
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
    annotations: workflowCommands(String(result.stdout)),
    log: String(result.all),
  }
}

/** Annotations among stdout's lines, skipping what `::stop-commands::TOKEN` … `::TOKEN::` encloses. */
export function workflowCommands(stdout: string): Annotation[] {
  const annotations: Annotation[] = []
  let stopped: string | undefined
  for (const line of stdout.split('\n')) {
    if (stopped) {
      if (line === `::${stopped}::`) stopped = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) {
      stopped = stop[1]
      continue
    }
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const properties = Object.fromEntries(
      (m[2] ?? '')
        .split(',')
        .filter(Boolean)
        .map((p) => p.split('=').map(unescapeCommand) as [string, string]),
    )
    annotations.push({ level: m[1]!, properties, message: unescapeCommand(m[3]!) })
  }
  return annotations
}

/** `name<<DELIMITER\nvalue\nDELIMITER` entries, as the runner reads GITHUB_OUTPUT. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!)
    if (!m) continue
    const end = lines.indexOf(m[2]!, i + 1)
    expect(end, `delimiter of ${m[1]} closes`).toBeGreaterThan(i)
    outputs[m[1]!] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return outputs
}

function unescapeCommand(text: string): string {
  return text
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%')
}
