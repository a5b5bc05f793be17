import { Args, Flags } from '@oclif/core'
import { DriftcoreError } from 'driftcore'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'
import { formatPlan, type PlanView } from '../../formatters/scaffold.js'

export default class ScaffoldModule extends ScaffoldToolCommand<typeof ScaffoldModule> {
  static override summary =
    "Generate a Drupal 10.3+/11 module from a template into the sandbox's custom-modules folder"
  static override description =
    'The machine name must match ^[a-z][a-z0-9_]*$, have at most 50 characters, not be a PHP reserved word, and not be taken by any module in the sandbox. Every generated PHP file passes php -l and every YAML file parses before anything is written.'
  static override examples = [
    '<%= config.bin %> scaffold module hello_world --part routing --part block',
    '<%= config.bin %> scaffold module hello_world --part routing --part service --part form --part block --part hooks --part tests --dry-run',
    '<%= config.bin %> scaffold module hello_world --label "Hello world" --template my-template --var vendor=acme --json',
  ]
  static override args = {
    name: Args.string({ description: 'the machine name, e.g. hello_world', required: true }),
  }
  static override flags = {
    template: Flags.string({
      char: 't',
      description: 'template id (default: scaffold.template, drupal-module)',
    }),
    part: Flags.string({
      char: 'p',
      description: 'an optional part of the template to include (repeatable)',
      multiple: true,
    }),
    label: Flags.string({ description: 'the human name (default: from the machine name)' }),
    description: Flags.string({ description: 'one line for the .info.yml' }),
    package: Flags.string({ description: 'the .info.yml package (default: Custom)' }),
    var: Flags.string({
      description: "KEY=VALUE for the template's own variables (repeatable)",
      multiple: true,
    }),
    force: Flags.boolean({
      description: 'write into an existing module folder of that name, overwriting its files',
    }),
    'dry-run': Flags.boolean({ description: 'check everything and print the file tree, writing nothing' }),
  }

  async run() {
    const vars: Record<string, string> = {}
    for (const spec of this.flags.var ?? []) {
      const at = spec.indexOf('=')
      if (at <= 0) throw new DriftcoreError('invalid_input', `--var ${spec}: expected KEY=VALUE`)
      vars[spec.slice(0, at)] = spec.slice(at + 1)
    }
    const f = this.flags
    const input = {
      name: this.args.name,
      ...(f.template ? { template: f.template } : {}),
      ...(f.part ? { parts: f.part } : {}),
      ...(f.label ? { label: f.label } : {}),
      ...(f.description ? { description: f.description } : {}),
      ...(f.package ? { package: f.package } : {}),
      vars,
      force: f.force,
    }
    const out = await this.callWithApproval<PlanView>(
      f['dry-run'] ? 'scaffold.plan' : 'scaffold.module',
      input,
    )
    this.show(formatPlan(out))
    return out
  }
}
