import { hash } from 'node:crypto'
import canonicalize from 'canonicalize'

/** One-shot hashing: about twice as fast as createHash() for the short texts audit lines are. */
export function sha256(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex')
}

/** RFC 8785 canonical JSON, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null'
}

export function canonicalHash(value: unknown): string {
  return sha256(canonicalJson(value))
}
