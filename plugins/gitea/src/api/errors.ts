import { DriftcoreError, type ErrorCode } from 'driftcore/api'

/**
 * A Gitea answer that is not a success, as one DriftcoreError: what was refused (the
 * operation and its subject), Gitea's own message, and what to do about it. The token is never
 * part of it (and the redactor masks it wherever it might appear anyway).
 */
export function apiError(status: number, action: string, body: unknown, server: string): DriftcoreError {
  const said = messageOf(body)
  const tail = said ? `: ${said}` : ''
  const known: Record<number, [ErrorCode, string, string]> = {
    400: ['invalid_input', 'refused the request as malformed', 'check the input against the tool’s schema'],
    401: [
      'forbidden',
      'refused the token (401)',
      'check that gitea.token names a valid, unexpired access token (driftcore config get gitea.token shows the reference, never the value)',
    ],
    403: [
      'forbidden',
      'does not allow it for the token’s user (403)',
      'give the token’s user the permission (write for commits and pull requests, admin for merges on protected branches), or ask someone who has it',
    ],
    404: [
      'not_found',
      'found no such thing (404)',
      'check the owner, repository, branch or pull request number',
    ],
    405: [
      'conflict',
      'will not do it in this state (405)',
      'the pull request may be merged or closed already, or its checks not passed',
    ],
    409: [
      'conflict',
      'reports a conflict (409)',
      'something with that name exists already or the branch moved: look at it, then call again',
    ],
    422: ['invalid_input', 'refused the values (422)', 'correct the input Gitea names'],
    423: ['conflict', 'says the repository is archived (423)', 'unarchive the repository in Gitea first'],
  }
  const [code, what, hint] =
    known[status] ??
    (status >= 500
      ? [
          'unavailable',
          `failed (${status})`,
          `Gitea at ${server} had an internal problem: try again later or check its logs`,
        ]
      : ['internal', `answered ${status}`, 'this answer is not one driftcore expects; report it'])
  return new DriftcoreError(code, `Gitea ${what} to ${action}${tail}`, {
    hint,
    details: { status, action, ...(said ? { gitea_message: said } : {}) },
  })
}

/** A request that never got an answer: the server is down, the name does not resolve, TLS failed. */
export function networkError(error: unknown, action: string, server: string): DriftcoreError {
  const cause =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
  return new DriftcoreError('unavailable', `Gitea at ${server} did not answer to ${action}: ${cause}`, {
    hint: 'check gitea.url and that the server is up and reachable from here',
    cause: error,
    details: { action, server },
  })
}

function messageOf(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
    return body.message.slice(0, 500)
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500)
  return undefined
}
