#!/usr/bin/env node
// Writes schemas/<kind>.v1.json: the openAPIV3Schema of tekton.dev/v1 from Tekton's own CRD files
// (config/300-crds/300-<kind>.yaml of tektoncd/pipeline), descriptions left out. The plugin
// validates what it compiles against these at run time; a test keeps them equal to the CRDs.
//   node plugins/tekton/scripts/extract-schemas.mjs ../shared/fixtures/tekton/crds
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const KINDS = ['pipeline', 'pipelinerun', 'task', 'taskrun']

/** The v1 openAPIV3Schema of one CRD file's text, without `description` keys. */
export function v1Schema(text) {
  const crd = parse(text)
  const version = crd.spec.versions.find((v) => v.name === 'v1')
  if (!version) throw new Error(`${crd.metadata?.name}: no v1 version`)
  return strip(version.schema.openAPIV3Schema)
}

function strip(node) {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
      .map(([k, v]) => [k, strip(v)]),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const from = process.argv[2]
  if (!from) throw new Error('usage: extract-schemas.mjs CRD_DIR')
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'schemas')
  for (const kind of KINDS) {
    const schema = v1Schema(await readFile(path.join(from, `300-${kind}.yaml`), 'utf8'))
    await writeFile(path.join(out, `${kind}.v1.json`), JSON.stringify(schema) + '\n')
  }
}
