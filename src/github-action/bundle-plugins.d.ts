// The module scripts/build-action.mjs generates while it bundles cli.ts: the host and each core
// plugin as oclif reads them, their command classes and their capabilities hooks.
declare module 'driftcore-action:plugins' {
  import type { Interfaces } from '@oclif/core'

  export const PLUGINS: readonly { root: boolean; pjson: Interfaces.PJSON }[]
}
