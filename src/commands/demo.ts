import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../cli/base-command.js'

export default class Demo extends DriftcoreCommand<typeof Demo> {
  static override summary = 'Run the main job on the embedded example site: no Drupal, no server, no setup'
  static override description =
    'In a new project (or --dir), an agent runs the flagship workflows on the Riverside Library example ' +
    "site's config: metadata-inspection, then config-drift, whose remediation waits for a person. The demo " +
    'approves as a second person, resumes the run and verifies the audit log.'
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --dir ./demo-project --json']
  static override flags = {
    dir: Flags.string({
      description:
        'a new folder for the demo project (default: a new temporary folder); an existing project is refused',
    }),
  }

  async run() {
    const [{ runDemo }, { openKernel }] = await Promise.all([
      import('../demo/run.js'),
      import('../kernel/open.js'),
    ])
    const result = await runDemo({
      ...(this.flags.dir ? { dir: this.flags.dir } : {}),
      open: (home) => openKernel({ home, oclif: this.config }),
      onStep: (s) => {
        if (!this.jsonEnabled()) this.log(`• ${s.title}\n${s.lines.map((l) => `    ${l}`).join('\n')}`)
      },
    })
    if (!this.jsonEnabled()) {
      this.log(`\nlook around: cd ${result.project}`)
      this.log(`  driftcore workflow timeline ${result.runs.drift}`)
      this.log('  driftcore audit tail -n 30')
      this.log('  driftcore drift check --baseline config/baseline --current config/live')
    }
    return result
  }
}
