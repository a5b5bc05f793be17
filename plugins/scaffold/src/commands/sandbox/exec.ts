import { Args, Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../cli/tool-command.js'
import { formatRun, type RunView } from '../../formatters/sandbox.js'

export default class SandboxExec extends ScaffoldToolCommand<typeof SandboxExec> {
  static override summary =
    'Run an allowlisted program in the sandbox: no network, read-only outside the site, limited'
  static override description =
    'Put the program and its arguments after --. The exit code is the program’s own (1 when it timed out or was killed).'
  static override examples = [
    '<%= config.bin %> sandbox exec -- php -l web/index.php',
    '<%= config.bin %> sandbox exec --cwd web -- vendor/bin/drush status',
  ]
  static override strict = false
  static override args = {
    command: Args.string({ description: 'the program (on launcher.allowlist)', required: true }),
  }
  static override flags = {
    cwd: Flags.string({ description: 'a folder in the site to run in' }),
    timeout: Flags.integer({
      description: 'wall-clock limit in ms (tighter than sandbox.limits.wall_clock_ms)',
    }),
  }

  async run() {
    const { argv } = await this.parse(SandboxExec)
    const out = await this.callWithApproval<RunView & { stdout: string; stderr: string }>('sandbox.exec', {
      command: this.args.command,
      args: argv.slice(1).map(String),
      ...(this.flags.cwd ? { cwd: this.flags.cwd } : {}),
      ...(this.flags.timeout ? { timeout_ms: this.flags.timeout } : {}),
    })
    if (!this.jsonEnabled()) {
      process.stdout.write(out.stdout)
      process.stderr.write(out.stderr)
      this.note(formatRun(out))
    }
    process.exitCode = out.exit_code ?? 1
    return out
  }
}
