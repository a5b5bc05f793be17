import { randomBytes } from 'node:crypto'
import { lstat, mkdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from 'driftcore'
import type { SandboxLayout } from '../sandbox/layout.js'
import type { ModulePlan } from './plan.js'

/**
 * Writes a checked plan. A new module is built in a hidden folder beside its target and renamed
 * into place, so it appears whole or not at all; with --force, each file is replaced atomically.
 */
export async function writeModule(layout: SandboxLayout, plan: ModulePlan): Promise<void> {
  const target = path.join(layout.modulesDir, plan.module)
  await mkdir(layout.modulesDir, { recursive: true })
  const exists = (await lstat(target).catch(() => undefined)) !== undefined
  if (exists) {
    for (const file of plan.files) {
      await mkdir(path.dirname(path.join(target, file.path)), { recursive: true })
      await writeFileAtomic(path.join(target, file.path), file.content, { sync: false })
    }
    return
  }
  const staging = path.join(layout.modulesDir, `.${plan.module}.driftcore-${randomBytes(4).toString('hex')}`)
  try {
    for (const file of plan.files) {
      await mkdir(path.dirname(path.join(staging, file.path)), { recursive: true })
      await writeFileAtomic(path.join(staging, file.path), file.content, { sync: false })
    }
    await rename(staging, target)
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
}
