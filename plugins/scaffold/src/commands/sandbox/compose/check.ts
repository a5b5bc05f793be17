import { Flags } from '@oclif/core'
import { ScaffoldToolCommand } from '../../../cli/tool-command.js'

interface CheckView {
  file: string
  env_file: string | null
  ok: boolean
  problems: { path: string; message: string; line?: number }[]
  client: { tool: string | null; ran: boolean; ok?: boolean; output_tail?: string; reason?: string }
}

export default class SandboxComposeCheck extends ScaffoldToolCommand<typeof SandboxComposeCheck> {
  static override summary = 'Check the compose sandbox without a Docker engine; exits 1 when it fails'
  static override description =
    'Checks the schema and the sandbox rules (non-root, no capabilities, internal network only, config read-only, secrets only as .env references), then runs `docker compose config --quiet` when a compose client is on launcher.allowlist.'
  static override examples = [
    '<%= config.bin %> sandbox compose check',
    '<%= config.bin %> sandbox compose check --file ops/compose.yaml --json',
  ]
  static override flags = {
    file: Flags.string({
      description: 'a compose file (default: sandbox.compose_file, else the one driftcore ships)',
    }),
    'env-file': Flags.string({
      description: 'the env file to interpolate from (default: .env, else .env.example)',
    }),
  }

  async run() {
    const out = await this.callWithApproval<CheckView>('sandbox.composeCheck', {
      ...(this.flags.file ? { file: this.flags.file } : {}),
      ...(this.flags['env-file'] ? { env_file: this.flags['env-file'] } : {}),
    })
    const lines = out.problems.map((p) => `${out.file}:${p.line ?? '?'}: ${p.path} ${p.message}`)
    const c = out.client
    lines.push(
      c.ran
        ? `${c.tool} config: ${c.ok ? 'valid' : `invalid\n${c.output_tail ?? ''}`}`
        : `compose client not run: ${c.reason ?? 'unknown'}`,
      `${out.ok ? 'OK' : 'FAILED'}: ${out.file}${out.env_file ? ` (env from ${out.env_file})` : ''}`,
    )
    this.show(lines.join('\n'))
    if (!out.ok) process.exitCode = 1
    return out
  }
}
