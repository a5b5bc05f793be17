import { defineCapabilities } from 'driftcore/api'
import { giteaSection } from '../settings/section.js'
import { branchCreate, branchList } from '../tools/branches.js'
import { diff, status } from '../tools/checks.js'
import { commit } from '../tools/commit.js'
import { fileRead } from '../tools/files.js'
import { propose } from '../tools/gitops.js'
import { prComment, prCreate, prGet, prList, prMerge } from '../tools/pulls.js'
import { repoCreate, repoGet } from '../tools/repos.js'

/** Everything the plugin contributes; exported by name so tests register it without oclif. */
export const giteaCapabilities = {
  tools: [
    repoGet,
    repoCreate,
    branchList,
    branchCreate,
    fileRead,
    commit,
    prCreate,
    prGet,
    prList,
    prComment,
    prMerge,
    status,
    diff,
    propose,
  ],
  config: { gitea: giteaSection },
}

export default defineCapabilities(giteaCapabilities)
