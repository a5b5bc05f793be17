import { readFile } from 'node:fs/promises'
import path from 'node:path'
import {
  DriftcoreError,
  isDriftcoreError,
  parseYaml,
  validateYaml,
  type ProjectPaths,
  type ToolContext,
} from 'driftcore/api'
import { pluginConfig } from '../config/sections.js'
import { hostFile } from '../paths/host.js'
import { tail } from '../sandbox/run.js'
import { envFileFor, hideValues, readEnvFile } from './env-file.js'
import { composeSchema, sandboxProblems, type ComposeFile, type Problem } from './schema.js'

export interface ClientCheck {
  /** `docker compose` (v2) or `docker-compose` (v1); null when neither can run here. */
  tool: string | null
  ran: boolean
  ok?: boolean
  exit_code?: number | null
  output_tail?: string
  reason?: string
}

export interface ComposeCheck {
  file: string
  env_file: string | null
  ok: boolean
  problems: (Problem & { line?: number })[]
  client: ClientCheck
}

/** sandbox.compose_file, or the compose file shipped with driftcore. */
export function composeFile(
  paths: ProjectPaths,
  config: Readonly<Record<string, unknown>>,
  given?: string,
): string {
  const configured = given ?? pluginConfig(config).sandbox.compose_file
  return configured ? path.resolve(paths.root, configured) : hostFile('sandbox', 'compose.yaml')
}

export async function loadCompose(
  file: string,
): Promise<{ compose: ComposeFile; lineOf: (p: string) => number | undefined }> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new DriftcoreError('not_found', `no compose file at ${file}`, { cause: error })
  })
  const parsed = parseYaml(text, file)
  const compose = validateYaml(parsed, composeSchema, file)
  const lineOf = (dotted: string) => {
    const keys = dotted.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))
    let node: unknown = parsed.doc.getIn(keys, true)
    for (let n = keys.length; !node && n > 0; n--) node = parsed.doc.getIn(keys.slice(0, n), true)
    const offset = (node as { range?: [number] } | undefined)?.range?.[0]
    return offset === undefined ? undefined : parsed.lines.linePos(offset).line
  }
  return { compose, lineOf }
}

/**
 * Checks the compose sandbox without a Docker engine: the file against the schema and the
 * sandbox's rules, then `docker compose config --quiet` when a compose client is allowlisted and
 * installed. Its output has every .env value blanked out before it goes anywhere.
 */
export async function checkCompose(ctx: ToolContext, file: string, envFile?: string): Promise<ComposeCheck> {
  const { compose, lineOf } = await loadCompose(file)
  const problems = sandboxProblems(compose).map((p) => {
    const line = lineOf(p.path)
    return line === undefined ? p : { ...p, line }
  })
  const env = await envFileFor(file, envFile)
  const client = await runClient(ctx, file, env)
  return {
    file,
    env_file: env ?? null,
    ok: problems.length === 0 && client.ok !== false,
    problems,
    client,
  }
}

async function runClient(ctx: ToolContext, file: string, envFile: string | undefined): Promise<ClientCheck> {
  const secrets = envFile ? await readEnvFile(envFile) : {}
  const run = (command: string, args: string[]) =>
    ctx.launcher.run({
      file: command,
      args,
      cwd: path.dirname(file),
      // It only reads the files: no network. (Not a read-only root: that hides /tmp, where a
      // project may live, behind an empty tmpfs.)
      isolation: { network: 'none' },
    })
  const configArgs = [...(envFile ? ['--env-file', envFile] : []), '-f', file, 'config', '--quiet']
  const reasons: string[] = []
  for (const [tool, command, prefix] of [
    ['docker compose', 'docker', ['compose']],
    ['docker-compose', 'docker-compose', []],
  ] as const) {
    try {
      ctx.launcher.resolve(command)
    } catch (error) {
      if (!isDriftcoreError(error)) throw error
      reasons.push(`${command}: ${error.message}`)
      continue
    }
    if (prefix.length > 0 && (await run(command, [...prefix, 'version'])).exitCode !== 0) {
      reasons.push(`${command}: has no compose plugin`)
      continue
    }
    const result = await run(command, [...prefix, ...configArgs])
    return {
      tool,
      ran: true,
      ok: result.exitCode === 0,
      exit_code: result.exitCode,
      output_tail: hideValues(tail(result.log, 20), secrets),
    }
  }
  return { tool: null, ran: false, reason: `no compose client can run here (${reasons.join('; ')})` }
}
