import { execa, type ResultPromise } from 'execa'
import path from 'node:path'
import { CLI, FIXTURES, runCli, type TempProject } from './project.js'

/** Installs the hello fixture plugin into the project's isolated user data dir. */
export async function linkHello(project: TempProject): Promise<void> {
  const result = await runCli(project, [
    'plugins',
    'link',
    path.join(FIXTURES, 'plugins/hello'),
    '--no-install',
  ])
  if (result.exitCode !== 0) throw new Error(`plugins link failed: ${result.stderr}`)
}

/** Starts the CLI in the background, its stdout readable line by line. */
export function startRun(project: TempProject, args: string[], env: NodeJS.ProcessEnv = {}) {
  return execa('node', [CLI, ...args], {
    cwd: project.dir,
    env: { ...project.env, ...env },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  })
}

/** Resolves with the first JSON line on the child's stdout that matches. */
export function waitForEvent(
  child: ResultPromise,
  match: (event: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(
      () => reject(new Error(`no matching event within ${timeoutMs} ms:\n${buffer}`)),
      timeoutMs,
    )
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString()
      for (const line of buffer.split('\n').slice(0, -1)) {
        try {
          const event = JSON.parse(line) as Record<string, unknown>
          if (match(event)) {
            clearTimeout(timer)
            child.stdout?.off('data', onData)
            resolve(event)
            return
          }
        } catch {
          // not JSON: ignore
        }
      }
    }
    child.stdout?.on('data', onData)
  })
}
