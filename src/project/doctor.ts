import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { which } from '../launcher/allowlist.js'
import { bwrapAvailable } from '../launcher/isolation.js'

const run = promisify(execFile)

export interface Check {
  check: string
  status: 'ok' | 'missing' | 'warn' | 'error'
  detail: string
}

async function version(file: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: 5000 })
    return (stdout || stderr).trim().split('\n')[0] ?? ''
  } catch {
    return ''
  }
}

/** Programs driftcore and its plugins can use, found or not, with versions. */
export async function checkPrograms(extra: readonly string[] = []): Promise<Check[]> {
  const checks: Check[] = []
  const major = Number(process.versions.node.split('.')[0])
  checks.push({
    check: 'node',
    status: major >= 22 ? 'ok' : 'error',
    detail: `v${process.versions.node}${major >= 22 ? '' : ' (driftcore needs >= 22)'}`,
  })
  const programs: [string, string[]][] = [
    ['git', ['--version']],
    ['php', ['--version']],
    ['drush', ['--version']],
    ['bwrap', ['--version']],
    ['unshare', ['--version']],
    ['prlimit', ['--version']],
    ...extra.map((p): [string, string[]] => [p, ['--version']]),
  ]
  for (const [name, args] of programs) {
    const found = which(name)
    if (!found) {
      checks.push({ check: name, status: 'missing', detail: 'not on PATH' })
      continue
    }
    const v = await version(found, args)
    const unusable = name === 'bwrap' && !bwrapAvailable()
    checks.push({
      check: name,
      status: unusable ? 'warn' : 'ok',
      detail: `${found}${v ? ` — ${v}` : ''}${unusable ? ' (installed but cannot create namespaces here)' : ''}`,
    })
  }
  return checks
}
