import { z } from 'zod'

const SECRET_REF = /^secret:\/\/(env|file)\/.+$/
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/

// The server's address: never with credentials in it, and plain http only on this machine,
// since the token travels with every request.
const serverUrl = z
  .url({ protocol: /^https?$/ })
  .refine((u) => {
    const url = new URL(u)
    return url.username === '' && url.password === ''
  }, 'the URL must not carry a user or password: the token goes in gitea.token as a secret:// reference')
  .refine((u) => {
    const url = new URL(u)
    return url.protocol === 'https:' || LOOPBACK.test(url.hostname)
  }, 'use https:// (plain http is accepted only for a server on this machine), since the token travels with every request')
  .refine(
    (u) => new URL(u).search === '' && new URL(u).hash === '',
    'the URL must not carry a query or fragment',
  )

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'a Gitea owner or repository name: letters, digits, "_", "." and "-"')
  .refine((n) => n !== '.' && n !== '..' && !n.endsWith('.git'), 'not ".", ".." or a name ending in .git')

const identity = z.strictObject({
  name: z.string().min(1).max(200).nullable().default(null),
  email: z.string().min(3).max(200).nullable().default(null),
})

/**
 * The `gitea:` section. The token is a `secret://` reference, never a value: it is resolved
 * when a call needs it, registered with the redactor, and handed to git only through the
 * askpass helper's environment.
 */
export const giteaSection = z
  .strictObject({
    url: serverUrl.nullable().default(null).describe('the Gitea server, e.g. https://git.example.com'),
    token: z
      .string()
      .regex(
        SECRET_REF,
        'gitea.token is a secret reference (secret://env/NAME or secret://file/PATH#key), never the token itself',
      )
      .nullable()
      .default(null)
      .describe('an access token with repository scope, as secret://env/NAME or secret://file/PATH#key'),
    username: name
      .nullable()
      .default(null)
      .describe("the token's user, for git over HTTPS; default: asked of the server (GET /user)"),
    owner: name
      .nullable()
      .default(null)
      .describe('the owner (user or organisation) a call uses when it names none'),
    default_branch: z
      .string()
      .min(1)
      .default('main')
      .describe('the branch a pull request targets by default'),
    author: identity
      .prefault({})
      .describe("who commits are authored by; default: the actor's name (human:alice → alice)"),
    committer: z
      .strictObject({
        name: z.string().min(1).max(200).default('driftcore'),
        email: z.string().min(3).max(200).default('driftcore@localhost'),
      })
      .prefault({})
      .describe('who commits are committed by: driftcore, on the actor’s behalf'),
    timeout_ms: z.number().int().positive().default(30_000).describe('each API request and git command'),
    gitops: z
      .strictObject({
        owner: name
          .nullable()
          .default(null)
          .describe('the infrastructure repository’s owner (default: gitea.owner)'),
        repo: name
          .nullable()
          .default(null)
          .describe('the infrastructure repository that holds the manifests'),
        base: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('the branch the cluster follows (default: gitea.default_branch)'),
        branch_prefix: z.string().min(1).default('gitops/'),
      })
      .prefault({}),
  })
  .prefault({})

export type GiteaSettings = z.output<typeof giteaSection>

/** Owner and repository names as tool inputs take them. */
export const repoName = name
