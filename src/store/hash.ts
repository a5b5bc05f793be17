import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** RFC 8785 canonical JSON, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null'
}

export function canonicalHash(value: unknown): string {
  return sha256(canonicalJson(value))
}
