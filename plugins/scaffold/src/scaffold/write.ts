import { randomBytes } from 'node:crypto'
import { openSite, type SandboxLayout } from '../sandbox/layout.js'
import type { ModulePlan } from './plan.js'

/**
 * Writes a checked plan. A new module is built in a hidden folder beside its target and renamed
 * into place, so it appears whole or not at all; with --force, each file is replaced atomically.
 * Every write goes through the site folder without following a symlink, so a link that appears
 * after the plan was checked cannot carry a file out of the custom-modules folder.
 */
export async function writeModule(layout: SandboxLayout, plan: ModulePlan): Promise<void> {
  const site = await openSite(layout)
  const modules = layout.modulesRel
  const target = `${modules}/${plan.module}`
  await site.mkdir(modules)
  if ((await site.kind(target)) !== 'absent') {
    for (const file of plan.files) {
      await site.writeFile(`${target}/${file.path}`, file.content, { sync: false })
    }
    return
  }
  const staging = `${modules}/.${plan.module}.driftcore-${randomBytes(4).toString('hex')}`
  try {
    for (const file of plan.files) {
      await site.writeFile(`${staging}/${file.path}`, file.content, { sync: false })
    }
    await site.rename(staging, target)
  } catch (error) {
    await site.remove(staging, { recursive: true, force: true })
    throw error
  }
}
