import { createRequire } from 'node:module'
import path from 'node:path'

/** A file the driftcore host ships (templates/, sandbox/), found beside its package.json. */
export function hostFile(...parts: string[]): string {
  const hostPackage = createRequire(import.meta.url).resolve('driftcore/package.json')
  return path.join(path.dirname(hostPackage), ...parts)
}
