import { Flags } from '@oclif/core'

/**
 * `--server URL` (or DRIFTCORE_SERVER): the command asks a `driftcore serve` instead of opening
 * the project here. The person's token comes from the environment or a file, never a flag.
 */
export const serverFlags = {
  server: Flags.string({
    description:
      'ask the driftcore server at this URL (what `driftcore serve` prints) instead of opening the project here; ' +
      'your person token comes from DRIFTCORE_SERVER_TOKEN or ~/.config/driftcore/server-token (mode 600)',
    env: 'DRIFTCORE_SERVER',
    helpGroup: 'SERVER',
  }),
}
