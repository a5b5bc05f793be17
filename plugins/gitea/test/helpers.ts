import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { runCli, tempProject, type CliResult, type TempProject } from '../../../test/helpers/project.js'
import { startGitea, type GiteaStandIn } from './stand-in/gitea.js'

export const ALLOW_ALL =
  'apiVersion: driftcore/v1\nkind: PolicyBundle\nname: all\nrules:\n  - id: allow-all\n    decision: ALLOW\n'

export interface GiteaProject extends TempProject {
  gitea: GiteaStandIn
  /** Every CLI result so far (stdout and stderr), for the token-leak check. */
  outputs: CliResult[]
  cli(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult>
  /** `tools call ID --json --input JSON`. */
  call(tool: string, input: unknown, extra?: string[]): Promise<CliResult>
  close(): Promise<void>
}

/**
 * A project wired to a fresh stand-in Gitea (see stand-in/gitea.ts): gitea.url and a token
 * reference in the config, the token itself only in the CLI's environment.
 */
export async function giteaProject(
  options: { policy?: string; config?: string } = {},
): Promise<GiteaProject> {
  const gitea = await startGitea()
  const project = await tempProject({
    config: `gitea:\n  url: ${gitea.url}\n  token: secret://env/GITEA_TOKEN\n  owner: acme\n${options.config ?? ''}`,
    policy: { 'team.yaml': options.policy ?? ALLOW_ALL },
  })
  project.env.GITEA_TOKEN = gitea.token
  const outputs: CliResult[] = []
  const cli = async (args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const result = await runCli(project, args, { timeoutMs: 120_000, ...o })
    outputs.push(result)
    return result
  }
  return {
    ...project,
    gitea,
    outputs,
    cli,
    call: (tool, input, extra = []) =>
      cli(['tools', 'call', tool, '--json', '--input', JSON.stringify(input), ...extra]),
    close: async () => {
      await gitea.close()
      await project.cleanup()
    },
  }
}

/** Every file below a folder (links not followed), with its bytes. */
export async function filesBelow(dir: string): Promise<{ file: string; bytes: Buffer }[]> {
  const out: { file: string; bytes: Buffer }[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    out.push({ file, bytes: await readFile(file) })
  }
  return out
}

/** The token as it could leak: itself, in a Basic header, URL-encoded, as JSON text. */
export function tokenForms(token: string): string[] {
  return [
    token,
    Buffer.from(`driftbot:${token}`).toString('base64'),
    Buffer.from(`driftcore:${token}`).toString('base64'),
    Buffer.from(token).toString('base64'),
    encodeURIComponent(token),
    Buffer.from(token).toString('hex'),
  ]
}
