import path from 'node:path'
import { projectRoots, type Confinement, type ProjectPaths } from 'driftcore/api'
import { drushSettings } from '../settings/sections.js'

type Config = Readonly<Record<string, unknown>>

/**
 * Where drift and config tools may read a path they are given: the project (not `.driftcore/`),
 * the site's config folder (`drush.config_dir`, which may lie beside the project) and
 * `files.read_roots`. A symlink that leads out counts as outside.
 */
export function readRoots(paths: ProjectPaths, config: Config): { within: string[]; deny: string[] } {
  return projectRoots(paths, config, [drushSettings(config).config_dir])
}

/** Where they may write (drift.accept into a config folder): the project and the site's config folder. */
export function writeRoots(paths: ProjectPaths, config: Config): Confinement {
  return {
    within: [paths.root, path.resolve(paths.root, drushSettings(config).config_dir)],
    deny: [paths.home],
    code: 'forbidden',
  }
}
