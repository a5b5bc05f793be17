import path from 'node:path'
import type { ProjectPaths } from 'driftcore/api'

/** Where the plugin keeps its records inside `.driftcore/`; big content lives in artifacts. */
export function pluginPaths(paths: ProjectPaths) {
  return {
    /** The latest config exports (pointers to their records). */
    exports: path.join(paths.home, 'drush', 'exports.json'),
    /** The metadata snapshots (pointers to their artifacts). */
    metadata: path.join(paths.home, 'drush', 'metadata.json'),
    /** Named drift baselines, one JSON file each. */
    baselines: path.join(paths.home, 'drift', 'baselines'),
  }
}

const BASELINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/

export function isBaselineName(name: string): boolean {
  return BASELINE_NAME.test(name) && !name.endsWith('.json')
}

export function baselineFile(paths: ProjectPaths, name: string): string {
  return path.join(pluginPaths(paths).baselines, `${name}.json`)
}
