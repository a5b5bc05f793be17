import { readFile } from 'node:fs/promises'
import { Flags } from '@oclif/core'
import { DriftcoreError, ToolCommand, readJsonInput } from 'driftcore'
import { repoFlags, target } from '../../cli/flags.js'

interface CommitOut {
  branch: string
  commit: string
  created_branch: boolean
  files: { path: string; status: string; additions: number; deletions: number }[]
  files_changed: number
  lines_changed: number
}

export default class GiteaCommit extends ToolCommand<typeof GiteaCommit> {
  static override summary = 'Commit file changes to a branch through git and push it (gitea.commit)'
  static override description =
    "--put REPO_PATH=LOCAL_FILE writes a file (created or replaced), --delete REPO_PATH removes one; --changes takes the tool's JSON list instead. The policy's size budgets and deny_paths are checked on the diff before anything is pushed."
  static override examples = [
    '<%= config.bin %> gitea commit --repo site --branch feature/cache --message "Cache the front page" --put web/modules/custom/cache/cache.info.yml=build/cache.info.yml',
    '<%= config.bin %> gitea commit --repo site --branch cleanup --message "Drop the old theme" --delete web/themes/old/old.info.yml --json',
    '<%= config.bin %> gitea commit --repo infra --branch bump --message "Bump the image" --changes changes.json',
  ]
  static override flags = {
    ...repoFlags,
    branch: Flags.string({
      description: 'the branch (created from --base when it does not exist)',
      required: true,
    }),
    base: Flags.string({ description: 'where a new branch starts (default: the default branch)' }),
    message: Flags.string({ char: 'm', description: 'the commit message', required: true }),
    put: Flags.string({ description: 'REPO_PATH=LOCAL_FILE: write this file (repeatable)', multiple: true }),
    delete: Flags.string({ description: 'REPO_PATH: remove this file (repeatable)', multiple: true }),
    changes: Flags.string({
      description: 'a JSON file (or - for stdin) with the changes list the tool takes',
    }),
    'expected-head': Flags.string({ description: 'commit only if the branch is still at this commit' }),
    ...ToolCommand.approvalFlag,
  }

  async run(): Promise<CommitOut> {
    const f = this.flags
    const changes: Record<string, unknown>[] = []
    if (f.changes) {
      const list = await readJsonInput(
        f.changes === '-' || f.changes.startsWith('@') ? f.changes : `@${f.changes}`,
      )
      if (!Array.isArray(list))
        throw new DriftcoreError('invalid_input', `--changes ${f.changes} is not a JSON list of changes`, {
          hint: '[{"path": "a.yaml", "action": "put", "content": "…"}]',
        })
      changes.push(...(list as Record<string, unknown>[]))
    }
    for (const spec of f.put ?? []) {
      const at = spec.indexOf('=')
      if (at <= 0)
        throw new DriftcoreError('invalid_input', `--put ${spec}: expected REPO_PATH=LOCAL_FILE`, {
          hint: '--put web/modules/custom/x/x.info.yml=build/x.info.yml',
        })
      const bytes = await readFile(spec.slice(at + 1))
      changes.push({ path: spec.slice(0, at), action: 'put', content_base64: bytes.toString('base64') })
    }
    for (const p of f.delete ?? []) changes.push({ path: p, action: 'delete' })
    const out = await this.callTool<CommitOut>(
      'gitea.commit',
      {
        ...target(f),
        branch: f.branch,
        message: f.message,
        changes,
        ...(f.base ? { base: f.base } : {}),
        ...(f['expected-head'] ? { expected_head: f['expected-head'] } : {}),
      },
      f.approval,
    )
    if (!this.jsonEnabled()) {
      this.log(
        `${out.commit} on ${out.branch}${out.created_branch ? ' (new branch)' : ''}: ${out.files_changed} files, ${out.lines_changed} lines`,
      )
      for (const file of out.files)
        this.log(`  ${file.status} ${file.path} +${file.additions} −${file.deletions}`)
    }
    return out
  }
}
