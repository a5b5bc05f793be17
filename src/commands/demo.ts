import { Flags } from '@oclif/core'
import { DriftcoreCommand } from '../cli/base-command.js'
import { runDemo } from '../demo/run.js'

export default class Demo extends DriftcoreCommand<typeof Demo> {
  static override summary = 'Run the quick-start job on the embedded defaults: no server, no setup'
  static override description =
    'Creates a throwaway project (or uses --dir) and shows the gate at work, step by step.'
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --dir ./demo-project --json']
  static override flags = {
    dir: Flags.string({ description: 'project folder to use (default: a new temporary folder)' }),
  }

  async run() {
    const { openKernel } = await import('../kernel/open.js')
    const result = await runDemo({
      ...(this.flags.dir ? { dir: this.flags.dir } : {}),
      open: (home) => openKernel({ home, oclif: this.config }),
      onStep: (s) => {
        if (!this.jsonEnabled()) this.log(`• ${s.title}\n    ${s.outcome}`)
      },
    })
    if (!this.jsonEnabled()) this.log(`\nexplore it: cd ${result.project} && driftcore audit tail`)
    return result
  }
}
