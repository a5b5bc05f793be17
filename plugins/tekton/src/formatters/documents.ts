import { lstat, mkdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { DriftcoreError, isWithin, writeFileAtomic, yamlLib } from 'driftcore/api'

/** Documents as one multi-document YAML stream (`kubectl apply -f -` reads it). */
export function yamlDocuments(documents: readonly unknown[]): string {
  return documents.map((d) => yamlLib().stringify(d, { lineWidth: 0 }).trimEnd()).join('\n---\n')
}

const SUFFIX: Record<string, string> = { Task: 'task', Pipeline: 'pipeline', PipelineRun: 'pipelinerun' }

/**
 * Writes one file per document into `out`, atomically (a file that was a symlink is replaced,
 * never written through). Never into the project's `.driftcore/`, which holds policy and the
 * audit log: compiling is not a way to change them.
 */
export async function writeDocuments(
  out: string,
  home: string,
  name: string,
  documents: readonly Record<string, unknown>[],
): Promise<string[]> {
  await mkdir(out, { recursive: true })
  const real = await realpath(out)
  const realHome = await realpath(home).catch(() => path.resolve(home))
  if (isWithin(real, realHome) || isWithin(path.resolve(out), path.resolve(home)))
    throw new DriftcoreError(
      'forbidden',
      `--out ${out} is inside ${home}, which holds the project's policy and audit log`,
      {
        hint: 'write the documents somewhere else, e.g. --out k8s/',
      },
    )
  if (!(await lstat(real)).isDirectory())
    throw new DriftcoreError('invalid_input', `--out ${out} is not a folder`)
  const files: string[] = []
  for (const doc of documents) {
    const file = path.join(
      real,
      `${name}-${SUFFIX[doc.kind as string] ?? String(doc.kind).toLowerCase()}.yaml`,
    )
    await writeFileAtomic(file, `${yamlDocuments([doc])}\n`)
    files.push(file)
  }
  return files
}
