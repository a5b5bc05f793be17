import { DriftcoreError } from '../errors/driftcore-error.js'
import { printError } from '../errors/print.js'
import { coreContributions, findCorePlugins } from '../kernel/core-plugins.js'
import type { Kernel } from '../kernel/open.js'
import { discoverProject } from '../store/paths.js'
import { actorFromEnv } from './actor.js'
import { callTool, type ToolCallFlags } from './tool-call.js'

interface ParsedCall {
  id: string
  json: boolean
  home?: string
  config: string[]
  flags: ToolCallFlags
}

// Each value flag of `tools call` (and the base flags), by every spelling oclif accepts here.
const VALUE_FLAGS: Record<string, 'input' | 'idempotency-key' | 'approval' | 'home' | 'config'> = {
  '--input': 'input',
  '-i': 'input',
  '--idempotency-key': 'idempotency-key',
  '--approval': 'approval',
  '--home': 'home',
  '--config': 'config',
  '-c': 'config',
}

/**
 * The command line when it is a `tools call` this entry answers exactly as the oclif command
 * would, else undefined: any flag it does not know or takes in another form (`--help`,
 * `-ivalue`, a repeated flag, a value that looks like a flag other than `-` for stdin, `--`), a
 * second argument, DRIFTCORE_DIRECT=0, the JSON content type or debug output from the
 * environment, or `--json` where oclif would colour it (a terminal, FORCE_COLOR).
 */
export function parseDirectCall(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  tty: boolean,
): ParsedCall | undefined {
  const [topic, verb, ...rest] = argv
  if (topic !== 'tools' || verb !== 'call') return undefined
  if (env.DRIFTCORE_DIRECT === '0' || env.DRIFTCORE_CONTENT_TYPE || env.DEBUG || env.DRIFTCORE_DEBUG)
    return undefined
  let id: string | undefined
  let json = false
  let dryRun = false
  const values: Partial<Record<'input' | 'idempotency-key' | 'approval' | 'home', string>> = {}
  const config: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === '--json' || arg === '--dry-run') {
      if (arg === '--json' ? json : dryRun) return undefined
      if (arg === '--json') json = true
      else dryRun = true
      continue
    }
    if (!arg.startsWith('-')) {
      if (id !== undefined || arg === '') return undefined
      id = arg
      continue
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = VALUE_FLAGS[eq === -1 ? arg : arg.slice(0, eq)]
    if (!name) return undefined
    let value: string | undefined
    if (eq !== -1) value = arg.slice(eq + 1)
    else {
      value = rest[++i]
      // oclif takes a lone `-` as a value (`--input -` reads stdin), any other dash as a flag.
      if (value === undefined || (value.startsWith('-') && value !== '-')) return undefined
    }
    if (name === 'config') config.push(value)
    else if (name in values) return undefined
    else values[name] = value
  }
  if (id === undefined) return undefined
  if (json && (tty || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'))) return undefined
  return {
    id,
    json,
    ...(values.home === undefined ? {} : { home: values.home }),
    config,
    flags: {
      input: values.input,
      dryRun,
      idempotencyKey: values['idempotency-key'],
      approval: values.approval,
    },
  }
}

/**
 * `tools call` without oclif, for an install whose plugins are only the ones it ships
 * (`findCorePlugins`): loading oclif, reading every plugin's manifest and building the
 * command was over a third of a call. The same gate, kernel and output as the oclif command
 * (they share `callTool`); true when it answered, false to leave the line to oclif.
 */
export async function runDirectCall(argv: readonly string[], rootDir: string): Promise<boolean> {
  const parsed = parseDirectCall(argv, process.env, process.stdout.isTTY === true)
  if (!parsed) return false
  const plugins = findCorePlugins(rootDir)
  if (!plugins) return false
  const { json } = parsed
  const stdout = (message: string) => process.stdout.write(`${message}\n`)
  const note = (message: string) => {
    if (!json) process.stderr.write(`${message}\n`)
  }
  let opened: Kernel | undefined
  let result: unknown
  let failure: unknown
  try {
    const { paths, note: found } = discoverProject({ home: parsed.home })
    if (found) note(found)
    const [{ openKernel }, contributions] = await Promise.all([
      import('../kernel/open.js'),
      coreContributions(plugins.plugins),
    ])
    opened = await openKernel({
      home: paths.home,
      configFlags: parsed.config,
      contributions,
      userConfigDir: plugins.configDir,
      // One tool of the shipped plugins runs: the others' schemas are built only if it uses them.
      schemas: 'on-use',
    })
    result = await callTool(opened, parsed.id, parsed.flags, () => actorFromEnv(), {
      json,
      log: stdout,
      note,
    })
  } catch (error) {
    failure = error
    report(error, json)
  }
  // As the oclif command's `finally`: closing writes the records still buffered, and a log that
  // refuses them fails the command.
  if (opened)
    await opened.close().catch((closing: unknown) => {
      if (!(closing instanceof DriftcoreError)) throw closing
      if (failure instanceof DriftcoreError) process.stderr.write(`Error: ${closing.message}\n`)
      else report(closing, json)
    })
  // oclif prints a command's JSON result after its `finally`, even when closing failed.
  if (json && result) stdout(JSON.stringify(result, null, 2))
  return true
}

// What DriftcoreCommand.catch prints; any other error is oclif's to print, which here means
// its JSON form or its stack, with exit 1.
function report(error: unknown, json: boolean): void {
  if (error instanceof DriftcoreError) return printError(error, json)
  process.exitCode ??= 1
  if (json) process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`)
  else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
}
