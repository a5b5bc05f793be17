import { Flags } from '@oclif/core'

/** --owner and --repo, as every gitea command takes them. */
export const repoFlags = {
  owner: Flags.string({ description: 'the owner (user or organisation); default gitea.owner' }),
  repo: Flags.string({ description: 'the repository', required: true }),
}

export function target(flags: { owner?: string | undefined; repo: string }): Record<string, string> {
  return { ...(flags.owner ? { owner: flags.owner } : {}), repo: flags.repo }
}
