import { DriftcoreError } from 'driftcore/api'

/** A value an option or argument may take; anything else is refused before Drush starts. */
type Check = RegExp | 'flag'

interface CommandRule {
  /** Positional arguments, in order. */
  args: RegExp[]
  options: Record<string, Check>
  /** Whether `-- extra...` arguments may follow (php:script passes them to the script). */
  extra?: RegExp
  /** Commands that would ask for confirmation get --yes. */
  confirms?: boolean
  /**
   * The command only reads the site (an export writes only into driftcore's exchange folder):
   * running it does not begin an approved call's effects, so a backup export that fails
   * leaves the approval of the import it precedes unused.
   */
  readsOnly?: true
}

const MACHINE_NAME = /^[a-z][a-z0-9_]*$/
// Absolute paths without shell-significant or option-like shapes; Drush gets them as one argv word.
const PATH = /^\/[^\0\n]*$/
const FIELDS = /^(\*|[a-z0-9_-]+(,[a-z0-9_-]+)*)$/

/**
 * The only Drush commands driftcore runs, and the options each accepts. Tools build their
 * invocations from this table, so a tool cannot run `sql:query` or pass `--debug`
 * because it was given odd input.
 */
export const DRUSH_COMMANDS: Record<string, CommandRule> = {
  'core:status': { args: [], options: { format: /^json$/, fields: FIELDS }, readsOnly: true },
  'cache:rebuild': { args: [], options: {} },
  'config:export': { args: [], options: { destination: PATH }, confirms: true, readsOnly: true },
  'config:status': {
    args: [],
    options: { format: /^json$/, state: /^(Any|[A-Za-z ]+(,[A-Za-z ]+)*)$/, prefix: /^[a-z0-9_.]+$/ },
    readsOnly: true,
  },
  'config:import': { args: [], options: { source: PATH, partial: 'flag' }, confirms: true },
  'field:info': {
    args: [MACHINE_NAME, MACHINE_NAME],
    options: { format: /^json$/, fields: FIELDS },
    readsOnly: true,
  },
  'php:script': { args: [PATH], options: {}, extra: /^--[a-z-]+=[A-Za-z0-9_.:*-]+$/ },
}

export interface DrushCall {
  command: keyof typeof DRUSH_COMMANDS
  args?: string[]
  options?: Record<string, string | true>
  extra?: string[]
}

/**
 * Checks a call against the table and returns Drush's arguments (after any alias), with the
 * site's global options (--root, --uri) placed before any `--` extras.
 */
export function drushArguments(call: DrushCall, globals: readonly string[] = []): string[] {
  const rule = DRUSH_COMMANDS[call.command]
  if (!rule) throw refused(`drush ${call.command} is not a command driftcore runs`)
  const args = call.args ?? []
  if (args.length !== rule.args.length)
    throw refused(`drush ${call.command} takes ${rule.args.length} argument(s), got ${args.length}`)
  args.forEach((arg, i) => {
    if (!rule.args[i]!.test(arg)) throw refused(`"${arg}" is not a valid argument for drush ${call.command}`)
  })
  const words = [call.command, ...args]
  for (const [name, value] of Object.entries(call.options ?? {})) {
    const check = rule.options[name]
    if (!check) throw refused(`drush ${call.command} --${name} is not an allowed option`)
    if (check === 'flag') {
      if (value !== true) throw refused(`--${name} is a flag and takes no value`)
      words.push(`--${name}`)
    } else {
      if (value === true || !check.test(value))
        throw refused(`"${String(value)}" is not an allowed value for drush ${call.command} --${name}`)
      words.push(`--${name}=${value}`)
    }
  }
  if (rule.confirms) words.push('--yes')
  words.push(...globals)
  const extra = call.extra ?? []
  if (extra.length > 0) {
    if (!rule.extra) throw refused(`drush ${call.command} takes no extra arguments`)
    for (const word of extra) {
      if (!rule.extra.test(word)) throw refused(`"${word}" is not an allowed extra argument`)
    }
    words.push('--', ...extra)
  }
  return words
}

function refused(message: string): DriftcoreError {
  return new DriftcoreError('forbidden', message, {
    hint: `driftcore runs only these Drush commands: ${Object.keys(DRUSH_COMMANDS).join(', ')}`,
  })
}
