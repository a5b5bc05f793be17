import path from 'node:path'
import type { InProcessWork, ProjectPaths } from 'driftcore/api'
import { composeFile } from '../compose/check.js'
import { builtinTemplatesDir } from '../scaffold/templates.js'
import { sandboxLayout } from '../sandbox/layout.js'

type Env = { config: Readonly<Record<string, unknown>>; paths: ProjectPaths }

// What the gate holds each tool's own file access to (driftcore's records under .driftcore/,
// the sandbox's git data among them, aside): see InProcessWork in driftcore.
const site = (env: Env) => sandboxLayout(env.paths, env.config).site

/** Walks or hashes the whole site itself (snapshot, reset, status, diff): not bounded. */
export const siteWork: InProcessWork = { paths: (_input, env) => [site(env)] }

/** Writes what its input holds (apply), or only starts programs in the site (exec, QA). */
export const boundedSiteWork: InProcessWork = { paths: (_input, env) => [site(env)], bounded: true }

/** init copies a site in: the source folder as well. */
export const initWork: InProcessWork<{ from?: string | undefined }> = {
  paths: (input, env) => [site(env), ...(input.from ? [path.resolve(env.paths.root, input.from)] : [])],
}

/** Renders templates (the project's and the built-in ones) into the site's modules folder. */
export const scaffoldWork: InProcessWork = {
  paths: (_input, env) => [site(env), env.paths.templates, builtinTemplatesDir()],
  bounded: true,
}

/** Reads the compose file and its env file. */
export const composeWork: InProcessWork<{ file?: string | undefined; env_file?: string | undefined }> = {
  paths: (input, env) => {
    const file = composeFile(env.paths, env.config, input.file)
    return [
      file,
      input.env_file ? path.resolve(env.paths.root, input.env_file) : path.join(path.dirname(file), '.env'),
      path.join(path.dirname(file), '.env.example'),
    ]
  },
  bounded: true,
}
