import { Command, Flags, type Interfaces } from '@oclif/core'
import type { Actor } from '../audit/record.js'
import { DriftcoreError } from '../errors/driftcore-error.js'
import { printError } from '../errors/print.js'
import type { ControlClient } from '../control/client.js'
import type { Kernel } from '../kernel/open.js'
import type { Catalog } from '../registry/catalog.js'
import type { Contribution } from '../registry/registry.js'
import type { ToolVerdict } from '../registry/types.js'
import { discoverProject, type ProjectPaths } from '../store/paths.js'
import { actorFromEnv } from './actor.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof DriftcoreCommand)['baseFlags'] & T['flags']
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every driftcore command: `--json`, `--home`, `--config key=value`, the kernel opened on first
 * use and flushed at the end, and one error path: a DriftcoreError prints its message and hint
 * (or a JSON error) and exits with its code, without a stack trace.
 */
export abstract class DriftcoreCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    home: Flags.string({
      description:
        'the .driftcore folder to use (default: DRIFTCORE_HOME, or the nearest .driftcore above the current folder)',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      char: 'c',
      description:
        'set a config key for this run only, e.g. -c workflow.concurrency=4 (repeatable; protected keys only where config.allow_overrides lets them)',
      helpGroup: 'GLOBAL',
      multiple: true,
      // One value per -c: `tools call -c k=v audit.verify` keeps audit.verify as the argument.
      multipleNonGreedy: true,
    }),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private opened: Promise<Kernel> | undefined
  private discovered: ProjectPaths | undefined
  private contributions: Promise<Contribution[]> | undefined

  public override async init(): Promise<void> {
    await super.init()
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof DriftcoreCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  /** The kernel, opened on first use so commands that do not need it stay fast. */
  protected kernel(): Promise<Kernel> {
    this.opened ??= Promise.all([import('../kernel/open.js'), this.loadContributions()]).then(
      ([{ openKernel }, contributions]) =>
        openKernel({
          home: this.paths().home,
          configFlags: this.flags.config ?? [],
          oclif: this.config,
          contributions,
        }),
    )
    return this.opened
  }

  /** What plugins offer, as data, for commands that only describe tools: no config, policy or audit. */
  protected async catalog(): Promise<Catalog> {
    const { cachedCatalog, catalogOf } = await import('../registry/catalog.js')
    const catalog = await cachedCatalog(this.config, async () => {
      // Only on a cache miss: building the registry loads every plugin, and zod.
      const { Registry } = await import('../registry/registry.js')
      return catalogOf(Registry.create(await this.loadContributions()).registry, (schema, io) =>
        Registry.jsonSchema(schema, io),
      )
    })
    // A refused plugin is left out, not fatal: the other plugins' tools stay available.
    for (const { message, hint } of catalog.refused)
      process.stderr.write(`Warning: ${message}\n${hint ? `  ${hint}\n` : ''}`)
    return catalog
  }

  /**
   * A tool's verdict on an output (`ToolDefinition.verdict`), from the installed plugins, with
   * no project: for a step whose call ran elsewhere (the tekton runner judges it as the engine would).
   */
  protected async toolVerdict(tool: string, output: unknown): Promise<ToolVerdict | undefined> {
    const { Registry } = await import('../registry/registry.js')
    return Registry.create(await this.loadContributions())
      .registry.tool(tool)
      .verdict?.(output)
  }

  private loadContributions(): Promise<Contribution[]> {
    this.contributions ??= import('../kernel/contributions.js').then(({ loadContributions }) =>
      loadContributions(this.config),
    )
    return this.contributions
  }

  /**
   * The control-API client when the command was given `--server` (or DRIFTCORE_SERVER), else
   * undefined: the command then opens the project here as usual.
   */
  protected async remote(): Promise<ControlClient | undefined> {
    const server = (this.flags as { server?: string }).server
    if (!server) return undefined
    if (this.flags.home || (this.flags.config ?? []).length > 0) {
      throw new DriftcoreError(
        'invalid_input',
        '--home and --config apply to a local project, not to --server',
        {
          hint: 'the server uses its own project and config; drop them, or unset DRIFTCORE_SERVER to work locally',
        },
      )
    }
    const { ControlClient, clientToken } = await import('../control/client.js')
    return new ControlClient(server, await clientToken(process.env, this.config.configDir))
  }

  /** Project paths without opening the kernel (for commands that only read files). */
  protected paths(): ProjectPaths {
    if (!this.discovered) {
      const { paths, note } = discoverProject({ home: this.flags.home })
      if (note) this.note(note)
      this.discovered = paths
    }
    return this.discovered
  }

  protected actor(): Actor {
    return actorFromEnv()
  }

  /** Writes to stderr, so stdout stays clean for output and --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (!(error instanceof DriftcoreError)) {
      const converted = cliError(error, this.id)
      if (!converted) return super.catch(error)
      error = converted
    }
    if (!(error instanceof DriftcoreError)) return super.catch(error)
    printError(error, this.jsonEnabled(), (value) => this.logJson(value))
    return undefined
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (this.opened) {
      const kernel = await this.opened.catch(() => undefined)
      // Closing writes the records still buffered; when the log refuses them (a deleted or cut
      // log) the command fails with that error, printed like any other.
      await kernel?.close().catch(async (closing: unknown) => {
        if (!(closing instanceof DriftcoreError)) throw closing
        if (error instanceof DriftcoreError) process.stderr.write(`Error: ${closing.message}\n`)
        else await this.catch(closing)
      })
    }
    return super.finally(error)
  }
}

/**
 * oclif's own errors in driftcore's one style: a parse error (unknown flag, missing argument,
 * bad option) is `invalid_input` with oclif's message and a pointer to --help, instead of a
 * dump of the parser's whole context under --json. Errors that carry an exit of their own
 * (`this.exit()`, help) stay oclif's.
 */
function cliError(
  error: Error & { oclif?: { exit?: number | false }; parse?: unknown },
  id: string | undefined,
): DriftcoreError | undefined {
  if (error.parse === undefined) return undefined
  // oclif's note that multiple-value flags must come last does not apply: -c takes one value.
  const message = error.message
    .split('\n\n')
    .filter((part) => !/^\s*(Note:|See more help with)/.test(part))
    .join(' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s{2,}/g, ' — '))
    .filter((line) => line && !/^See more help with/.test(line))
    .join(' ')
  return new DriftcoreError('invalid_input', message || 'the command line could not be parsed', {
    hint: `see driftcore ${id ? `${id.replaceAll(':', ' ')} ` : ''}--help`,
    cause: error,
  })
}
