import { DriftcoreCommand } from '../cli/base-command.js'
import { initProject } from '../project/init.js'
import { explicitPaths, projectPaths } from '../store/paths.js'
import path from 'node:path'

export default class Init extends DriftcoreCommand<typeof Init> {
  static override summary = 'Create .driftcore/ here: config, the default policy bundle, state folders'
  static override description = 'Existing files are kept, so running it again is safe.'
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --home /srv/site/.driftcore --json',
  ]

  async run() {
    // Unlike other commands, init does not search upwards: it creates the project here.
    const paths = this.flags.home
      ? projectPaths(path.resolve(this.flags.home))
      : process.env.DRIFTCORE_HOME
        ? explicitPaths(process.env.DRIFTCORE_HOME)
        : projectPaths(path.join(process.cwd(), '.driftcore'))
    const result = await initProject(paths)
    if (!this.jsonEnabled()) {
      for (const f of result.created) this.log(`created ${f}`)
      for (const f of result.kept) this.log(`kept    ${f}`)
      this.log(
        `\nnext: driftcore doctor · driftcore tools list · driftcore policy explain --tool audit.verify`,
      )
    }
    return result
  }
}
