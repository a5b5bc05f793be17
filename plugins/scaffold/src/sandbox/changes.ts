import type { ToolContext } from 'driftcore/api'
import { sandboxGit } from './git.js'
import type { SandboxLayout } from './layout.js'
import type { SnapshotManifest } from './manifest.js'

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'type_changed'

export interface Change {
  path: string
  status: ChangeStatus
}

const STATUS: Record<string, ChangeStatus> = { A: 'added', M: 'modified', D: 'deleted', T: 'type_changed' }

/**
 * Every file that differs from the snapshot, ignored files included: the working tree is staged
 * into a scratch index (so the snapshot's own index is untouched) and compared with its commit.
 */
export async function changesSince(
  ctx: ToolContext,
  layout: SandboxLayout,
  manifest: SnapshotManifest,
): Promise<Change[]> {
  const git = sandboxGit(ctx, layout)
  return git.withScratchIndex(async (indexFile) => {
    await git.run(['add', '--all', '--force', '--', '.'], { indexFile })
    const out = await git.run(['diff', '--cached', '--name-status', '-z', '--no-renames', manifest.commit], {
      indexFile,
    })
    const fields = out.split('\0').filter((f) => f.length > 0)
    const changes: Change[] = []
    for (let i = 0; i + 1 < fields.length; i += 2) {
      changes.push({ status: STATUS[fields[i]!] ?? 'modified', path: fields[i + 1]! })
    }
    return changes
  })
}

/** The change since the snapshot as a unified diff (binary files named, not shown). */
export async function diffSince(
  ctx: ToolContext,
  layout: SandboxLayout,
  manifest: SnapshotManifest,
): Promise<string> {
  const git = sandboxGit(ctx, layout)
  return git.withScratchIndex(async (indexFile) => {
    await git.run(['add', '--all', '--force', '--', '.'], { indexFile })
    return git.run(['diff', '--cached', '--no-renames', '--no-ext-diff', '--no-textconv', manifest.commit], {
      indexFile,
    })
  })
}
