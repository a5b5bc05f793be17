import { readdir } from 'node:fs/promises'
import path from 'node:path'

export const HEAD_FILE = 'HEAD.json'

/** Where the chain ends: the last record's seq and hash, and the bytes of its segment. */
export interface AuditHead {
  segment: string
  seq: number
  hash: string
  size: number
}

export function segmentName(n: number): string {
  return `${String(n).padStart(6, '0')}.jsonl`
}

export function segmentNumber(name: string): number {
  return Number(name.slice(0, 6))
}

/** Segment files in chain order. */
export async function listSegments(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => /^\d{6}\.jsonl$/.test(f)).sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

export function segmentPath(dir: string, name: string): string {
  return path.join(dir, name)
}
