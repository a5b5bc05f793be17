import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Kernel } from '../../../../src/kernel/open.js'
import { canonicalHash } from '../../../../src/store/hash.js'
import { tempProject, type TempProject } from '../../../../test/helpers/project.js'
import { digestOf, manifestOf } from '../../src/configset/config-set.js'
import { readDirectory } from '../../src/configset/directory.js'
import type { DriftReport } from '../../src/drift/check.js'
import { DRUPAL, drushKernel, mutatedCopy } from '../helpers/site.js'

/**
 * The drift check compares bytes first: an object whose bytes equal the baseline's takes the
 * baseline's hash (a memcmp, not a second sha256), and the export's digest is written by
 * JSON.stringify rather than a general canonicaliser. Neither may change a result: same-size
 * edits are still drift, digests are still RFC 8785's, large files are read whole.
 */

let project: TempProject
let kernel: Kernel
beforeEach(async () => {
  project = await tempProject()
  kernel = await drushKernel(project)
})
afterEach(async () => {
  await kernel.close()
  await project.cleanup()
})

const check = async (baseline: string, current: string) =>
  (await kernel.gate.invoke('drift.check', { baseline, current }, { type: 'agent', id: 'drift-bot' }))
    .output as DriftReport

describe('drift check comparing bytes first', () => {
  it('still finds an edit that keeps the file size (one byte swapped)', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'system.site.yml': (t) => t.replace(/^name: (.)/m, (_, c: string) => `name: ${c === 'X' ? 'Y' : 'X'}`),
    })
    const before = await readFile(path.join(DRUPAL.usagov, 'system.site.yml'))
    const after = await readFile(path.join(current, 'system.site.yml'))
    expect(after.length).toBe(before.length)
    const report = await check(DRUPAL.usagov, current)
    expect(report.objects.map((o) => o.name)).toEqual(['system.site'])
    expect(report.current.digest).not.toBe(report.baseline.digest)
  })

  it('gives each side the digest it has on its own, hashes reused or not', async () => {
    const current = await mutatedCopy(DRUPAL.usagov, path.join(project.dir, 'current'), {
      'system.site.yml': (t) => `${t}driftcore_test: 1\n`,
    })
    const report = await check(DRUPAL.usagov, current)
    const alone = await readDirectory(current)
    expect(report.current.digest).toBe(digestOf(manifestOf(alone)))
    for (const f of alone.objects.values())
      expect(f.sha256).toBe(createHash('sha256').update(f.bytes!).digest('hex'))
  })

  it("writes the digest RFC 8785's canonical JSON gives, for names that need escaping too", async () => {
    const set = await readDirectory(DRUPAL.usagov)
    const manifest = manifestOf(set)
    expect(digestOf(manifest)).toBe(canonicalHash(manifest))
    const odd = [
      { file: 'a"quote\\.yml', sha256: 'f'.repeat(64), size: 0 },
      { file: 'language/é/\u2028x.yml', sha256: '0'.repeat(64), size: 123456789 },
    ]
    expect(digestOf(odd)).toBe(canonicalHash(odd))
  })

  it('reads a config file larger than its read buffer whole', async () => {
    const dir = path.join(project.dir, 'big')
    await mkdir(dir)
    const text = `label: big\nitems:\n${Array.from({ length: 40_000 }, (_, i) => `  - item_${i}`).join('\n')}\n`
    await writeFile(path.join(dir, 'big.list.yml'), text)
    const set = await readDirectory(dir)
    expect(set.objects.get('big.list')!.bytes!.toString()).toBe(text)
  })
})
