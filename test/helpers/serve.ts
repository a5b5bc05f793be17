import { chmod } from 'node:fs/promises'
import { execa, type ResultPromise } from 'execa'
import { CLI, json, runCli, type TempProject } from './project.js'

export interface Served {
  /** The base URL (DRIFTCORE_SERVER). */
  base: string
  /** The MCP endpoint. */
  mcp: string
  process: ResultPromise
  stderr(): string
  stop(): Promise<void>
}

/** Makes `.driftcore/` the service user's alone, as service mode requires. */
export async function privateHome(project: Pick<TempProject, 'home'>): Promise<void> {
  await chmod(project.home, 0o700)
}

/** Adds a person token with the real CLI and returns it. */
export async function addToken(project: TempProject, name: string): Promise<string> {
  const added = await runCli(project, ['serve', 'tokens', 'add', name, '--json'])
  if (added.exitCode !== 0) throw new Error(`tokens add failed: ${added.stderr}`)
  return json<{ token: string }>(added).token
}

/** Spawns `driftcore serve --port 0` and waits until both APIs listen. */
export async function startServe(
  project: TempProject,
  options: { env?: NodeJS.ProcessEnv; command?: { file: string; args: string[] } } = {},
): Promise<Served> {
  const command = options.command ?? { file: 'node', args: [CLI, 'serve', '--port', '0'] }
  const child = execa(command.file, command.args, {
    cwd: project.dir,
    env: { ...project.env, ...options.env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  })
  let stderr = ''
  const found = await new Promise<{ mcp: string; base: string }>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const mcp = /MCP on (\S+)/.exec(stderr)?.[1]
      const base = /DRIFTCORE_SERVER=(\S+)/.exec(stderr)?.[1]
      if (mcp && base) resolve({ mcp, base })
    })
    void child.then((r) => reject(new Error(`serve exited ${r.exitCode}: ${stderr}`)))
  })
  return {
    ...found,
    process: child,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM')
      await child
    },
  }
}
