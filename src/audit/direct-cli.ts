import { auditLine } from '../cli/audit-format.js'
import { parseTime } from '../cli/time.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { printError } from '../errors/print.js'
import { discoverProject } from '../store/paths.js'
import type { AuditQuery } from './query.js'
import type { AuditRecord } from './record.js'

type Kind = 'string' | 'integer'

/** The flags of `audit query` and how each sets the query (shared with the oclif command). */
export const QUERY_FLAGS: Record<string, { kind: Kind; set: (q: AuditQuery, v: string) => void }> = {
  type: { kind: 'string', set: (q, v) => (q.type = v) },
  actor: { kind: 'string', set: (q, v) => (q.actor = v) },
  'os-user': { kind: 'string', set: (q, v) => (q.os_user = v) },
  uid: { kind: 'integer', set: (q, v) => (q.uid = Number(v)) },
  'mcp-client': { kind: 'string', set: (q, v) => (q.mcp_client = v) },
  session: { kind: 'string', set: (q, v) => (q.session = v) },
  token: { kind: 'string', set: (q, v) => (q.token = v) },
  key: { kind: 'string', set: (q, v) => (q.key = v) },
  subject: { kind: 'string', set: (q, v) => (q.subject = v) },
  trace: { kind: 'string', set: (q, v) => (q.trace_id = v) },
  since: { kind: 'string', set: (q, v) => (q.since = parseTime(v, '--since')) },
  until: { kind: 'string', set: (q, v) => (q.until = parseTime(v, '--until')) },
}

/** The query the given flag values ask for (an empty value is no filter, as in the oclif command). */
export function auditQueryOf(values: Record<string, unknown>): AuditQuery {
  const query: AuditQuery = {}
  for (const [name, flag] of Object.entries(QUERY_FLAGS)) {
    const value = values[name]
    if (typeof value === 'number' || (typeof value === 'string' && value !== ''))
      flag.set(query, String(value))
  }
  return query
}

interface Parsed {
  command: 'tail' | 'query'
  json: boolean
  values: Record<string, string>
}

const INTEGER = /^-?\d+$/

// The flags each command takes here; anything else sends the line to oclif.
function flagsOf(command: 'tail' | 'query'): Record<string, Kind> {
  const own: Record<string, Kind> =
    command === 'tail'
      ? { lines: 'integer' }
      : {
          ...Object.fromEntries(Object.entries(QUERY_FLAGS).map(([name, f]) => [name, f.kind])),
          limit: 'integer',
        }
  return { ...own, home: 'string' }
}

/**
 * The command line when it is one this entry answers exactly as the oclif command would, else
 * undefined: a flag it does not know or takes in another form (`--help`, `-f`, `--server`, `-c`,
 * a repeated flag, a value that looks like a flag, an integer oclif would refuse), the server
 * or JSON content type from the environment, DRIFTCORE_DIRECT=0, or `--json` to a terminal
 * (oclif colours it).
 */
export function parseDirect(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  tty: boolean,
): Parsed | undefined {
  const [topic, verb, ...rest] = argv
  if (topic !== 'audit' || (verb !== 'tail' && verb !== 'query')) return undefined
  if (env.DRIFTCORE_DIRECT === '0' || env.DRIFTCORE_SERVER || env.DRIFTCORE_CONTENT_TYPE) return undefined
  const known = flagsOf(verb)
  const values: Record<string, string> = {}
  let json = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--json') {
      if (json) return undefined
      json = true
      continue
    }
    let name: string
    let value: string | undefined
    if (verb === 'tail' && arg === '-n') name = 'lines'
    else if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=')
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      if (eq !== -1) value = arg.slice(eq + 1)
    } else return undefined
    const kind = known[name]
    if (!kind || name in values) return undefined
    if (value === undefined) {
      value = rest[++i]
      if (value === undefined || value.startsWith('-')) return undefined
    }
    if (kind === 'integer' && !INTEGER.test(value)) return undefined
    values[name] = value
  }
  if (json && tty) return undefined
  return { command: verb, json, values }
}

/**
 * `audit tail` and `audit query` on a local project without oclif: they read files only, and
 * loading oclif with every plugin's manifest was most of their time and memory (~66 MB of a
 * 68 MB peak). Answers only a command line `parseDirect` accepts (true), printing what the oclif
 * command prints; false leaves the line to oclif.
 */
export async function runDirect(argv: readonly string[]): Promise<boolean> {
  const parsed = parseDirect(argv, process.env, process.stdout.isTTY === true)
  if (!parsed) return false
  const { command, json, values } = parsed
  const note = (message: string) => {
    if (!json) process.stderr.write(`${message}\n`)
  }
  try {
    const { paths, note: found } = discoverProject({ home: values.home })
    if (found) note(found)
    const onSkipped = (m: string) => process.stderr.write(`note: ${m}\n`)
    let records: AuditRecord[]
    if (command === 'tail') {
      const { tailAudit } = await import('./tail.js')
      records = await tailAudit(
        paths.audit,
        values.lines === undefined ? 20 : Number(values.lines),
        onSkipped,
      )
    } else {
      const limit = values.limit === undefined ? undefined : Number(values.limit)
      const { queryAudit } = await import('./query.js')
      records = await queryAudit(paths.audit, auditQueryOf(values), limit, onSkipped)
    }
    if (json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`)
    else {
      process.stdout.write(records.map((r) => `${auditLine(r)}\n`).join(''))
      if (command === 'query') note(`${records.length} record${records.length === 1 ? '' : 's'}`)
    }
  } catch (error) {
    if (!(error instanceof DriftcoreError)) throw error
    printError(error, json)
  }
  return true
}
