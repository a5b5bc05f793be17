/**
 * The closed set of error codes. Each maps to one exit code and, in MCP mode, to one kind of
 * tool error result, so callers can branch on `code` instead of parsing messages.
 */
export const ERROR_CODES = {
  internal: 1,
  invalid_input: 2,
  not_found: 3,
  policy_denied: 4,
  approval_required: 5,
  conflict: 6,
  timeout: 7,
  integrity: 8,
  unavailable: 9,
  io: 10,
  forbidden: 11,
  cancelled: 130,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/**
 * Exit codes that report a result, not an error, kept outside the error range so a script can
 * tell "the check found something" from "the check could not run": `drift check` exits 20
 * when it finds drift.
 */
export const RESULT_EXIT_CODES = { drift: 20 } as const

export interface DriftcoreErrorOptions {
  /** What the user can do about it; printed under the message. */
  hint?: string
  /** Structured facts a machine caller may need (rule ids, approval id, failing paths…). */
  details?: Record<string, unknown>
  cause?: unknown
}

export class DriftcoreError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: DriftcoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DriftcoreError'
    this.code = code
    this.hint = options.hint
    this.details = options.details ?? {}
  }

  get exitCode(): number {
    return ERROR_CODES[this.code]
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      details: this.details,
    }
  }
}

export function isDriftcoreError(error: unknown, code?: ErrorCode): error is DriftcoreError {
  return error instanceof DriftcoreError && (code === undefined || error.code === code)
}

/** Wraps anything thrown into a DriftcoreError, keeping the original as `cause`. */
export function toDriftcoreError(error: unknown): DriftcoreError {
  if (error instanceof DriftcoreError) return error
  const message = error instanceof Error ? error.message : String(error)
  const errno = (error as NodeJS.ErrnoException | undefined)?.code
  if (errno === 'ENOENT') return new DriftcoreError('not_found', message, { cause: error })
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno))
    return new DriftcoreError('io', message, { cause: error })
  return new DriftcoreError('internal', message, { cause: error })
}
