import { fileURLToPath } from 'node:url'
import { DriftcoreError, type LaunchResult, type ToolContext } from 'driftcore/api'

/** The askpass helper shipped with the plugin (bin/git-askpass.sh). */
export const ASKPASS = fileURLToPath(new URL('../../bin/git-askpass.sh', import.meta.url))

// Settings that would make git run code, ask a person, or store the token, pinned for every
// command: no hooks or fsmonitor from the working copy, no credential helper (it would write the
// token to disk), no transport but HTTP(S) (no ext::, no file:// submodule tricks), no prompt.
const PINNED = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.fsmonitor=false',
  '-c',
  'credential.helper=',
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.http.allow=always',
  '-c',
  'core.autocrlf=false',
  '-c',
  'commit.gpgsign=false',
]

export interface GitAuth {
  /** A `secret://` reference: the launcher resolves it into the askpass helper's environment. */
  tokenRef: string
  username: string
}

export interface GitOptions {
  cwd: string
  auth?: GitAuth
  env?: Record<string, string>
  input?: string
  /** The command changes only driftcore's working copy (not the server): it uses no approval. */
  local?: boolean
  timeoutMs: number
}

/**
 * git through the launcher (allowlist, containment, `process.run` records), never
 * simple-git's own spawn: the one-gate rule says a tool starts processes only this way.
 */
export async function git(ctx: ToolContext, args: string[], options: GitOptions): Promise<LaunchResult> {
  return ctx.launcher.run({
    file: 'git',
    args: [...PINNED, ...args],
    cwd: options.cwd,
    timeoutMs: options.timeoutMs,
    env: {
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_OPTIONAL_LOCKS: '0',
      ...(options.auth
        ? {
            GIT_ASKPASS: ASKPASS,
            DRIFTCORE_GITEA_TOKEN: options.auth.tokenRef,
            DRIFTCORE_GITEA_USERNAME: options.auth.username,
          }
        : {}),
      ...options.env,
    },
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.local ? { changesNothing: true } : {}),
  })
}

/** Runs git and throws, with git's own words, when it fails. */
export async function gitOk(ctx: ToolContext, args: string[], options: GitOptions): Promise<string> {
  const result = await git(ctx, args, options)
  if (result.exitCode !== 0) throw gitFailed(args, result)
  return result.stdout
}

export function gitFailed(args: string[], result: LaunchResult): DriftcoreError {
  const said = (result.stderr || result.stdout).trim().split('\n').slice(-4).join(' · ')
  const verb = args.find((a) => !a.startsWith('-')) ?? 'git'
  const unreachable =
    /Could not resolve host|Failed to connect|Connection refused|timed out|unable to access/i.test(said)
  const refused = /Authentication failed|401|403|could not read Username|terminal prompts disabled/i.test(
    said,
  )
  if (result.timedOut)
    return new DriftcoreError('timeout', `git ${verb} did not finish in time`, {
      hint: 'raise gitea.timeout_ms',
    })
  if (refused)
    return new DriftcoreError('forbidden', `Gitea refused git ${verb}: ${said}`, {
      hint: 'check that gitea.token is valid and may write to the repository (and gitea.username, when set)',
    })
  if (unreachable)
    return new DriftcoreError('unavailable', `git ${verb} could not reach Gitea: ${said}`, {
      hint: 'check gitea.url and that the server is up',
    })
  return new DriftcoreError('internal', `git ${verb} failed (exit ${result.exitCode}): ${said}`, {
    details: { exit_code: result.exitCode },
  })
}
