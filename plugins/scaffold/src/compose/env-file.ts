import { access, readFile } from 'node:fs/promises'
import path from 'node:path'

/** The env file compose would interpolate from: `.env` beside the compose file, else `.env.example`. */
export async function envFileFor(composeFile: string, explicit?: string): Promise<string | undefined> {
  if (explicit !== undefined) return explicit
  for (const name of ['.env', '.env.example']) {
    const candidate = path.join(path.dirname(composeFile), name)
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate
  }
  return undefined
}

/** KEY=VALUE lines (comments and blanks skipped, surrounding quotes removed). */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const values: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
    if (!match) continue
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2')
  }
  return values
}

/** Replaces every value from the env file in `text`, so no output carries a secret. */
export function hideValues(text: string, values: Record<string, string>): string {
  let out = text
  for (const value of Object.values(values)
    .filter((v) => v.length >= 4)
    .sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(value, '[REDACTED]')
  }
  return out
}
