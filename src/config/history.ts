import path from 'node:path'
import type { AuditLog } from '../audit/log.js'
import type { Actor } from '../audit/record.js'
import { JsonDocument } from '../store/documents.js'
import { canonicalHash } from '../store/hash.js'
import { resolveConfig, type EffectiveConfig } from './effective.js'
import { leafKeys } from './protected.js'
import type { ConfigLayer } from './layers.js'
import type { ConfigSections } from './schema.js'

/** The last config driftcore saw: the hash of what the layer files say, and each file's digest. */
interface ConfigState {
  hash: string | null
  files: Record<string, { file: string; digest: string }>
}

export interface ConfigChange {
  old_hash: string | null
  new_hash: string
  /** The layer files that changed since (added, edited or removed); `default` when none did. */
  layers: { layer: string; file: string | null }[]
  /** Set by `config set`. */
  key?: string
}

/**
 * The hash of the config as the files say it, without this process's env and --config values:
 * what stays in force for the next command. Equal to the effective hash when neither is used.
 */
export function persistentHash(config: EffectiveConfig, sections: ConfigSections): string {
  const transient = (l: ConfigLayer) => l.name === 'env' || l.name === 'flag'
  if (!config.layers.some((l) => transient(l) && leafKeys(l.values).length > 0)) return config.hash
  const files = config.layers.filter((l) => !transient(l))
  try {
    return resolveConfig(files, sections).hash
  } catch {
    // The files alone are not a valid config (an env value covers a bad file value): what they
    // say still identifies them.
    return canonicalHash(files.map((l) => [l.name, l.values]))
  }
}

function fileDigests(layers: readonly ConfigLayer[]): ConfigState['files'] {
  return Object.fromEntries(
    layers.filter((l) => l.file && l.digest).map((l) => [l.name, { file: l.file!, digest: l.digest! }]),
  )
}

function changedLayers(before: ConfigState['files'], after: ConfigState['files']): ConfigChange['layers'] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  const changed = names
    .filter((n) => before[n]?.digest !== after[n]?.digest)
    .map((n) => ({ layer: n, file: (after[n] ?? before[n])!.file }))
  // No file changed but the values did: the built-in defaults (a driftcore or plugin upgrade).
  return changed.length > 0 ? changed : [{ layer: 'default', file: null }]
}

/**
 * Remembers the config in force (`state/config.json`) and records every change as a
 * `config.changed` audit record with the old and new hash: changes made through `config set`,
 * and files edited behind driftcore's back, noticed when a kernel opens. The state file is only
 * a memory of what was seen; the audit records are the evidence.
 */
export class ConfigHistory {
  private readonly state: JsonDocument<ConfigState>

  constructor(
    stateDir: string,
    private readonly audit: AuditLog,
  ) {
    this.state = new JsonDocument<ConfigState>(path.join(stateDir, 'config.json'), () => ({
      hash: null,
      files: {},
    }))
  }

  /** Records a change if the config differs from the last one seen. Cheap when it does not. */
  async observe(config: EffectiveConfig, sections: ConfigSections, actor: Actor): Promise<void> {
    const hash = persistentHash(config, sections)
    const files = fileDigests(config.layers)
    const seen = await this.state.read()
    if (seen.hash === hash && sameFiles(seen.files, files)) return
    const change = await this.state.update((s): ConfigChange | undefined => {
      const before = { ...s }
      s.files = files
      if (before.hash === hash) return undefined // only comments or layout changed, or another process recorded it
      s.hash = hash
      return { old_hash: before.hash, new_hash: hash, layers: changedLayers(before.files, files) }
    })
    if (change) await this.record(change, actor)
  }

  /** A change driftcore made itself (`config set`): recorded with its actor and key. */
  async changed(
    before: EffectiveConfig,
    after: EffectiveConfig,
    sections: ConfigSections,
    actor: Actor,
    key: string,
  ): Promise<ConfigChange> {
    const old = persistentHash(before, sections)
    const hash = persistentHash(after, sections)
    const files = fileDigests(after.layers)
    const change: ConfigChange = {
      old_hash: old,
      new_hash: hash,
      layers: changedLayers(fileDigests(before.layers), files),
      key,
    }
    await this.state.update((s) => {
      s.hash = hash
      s.files = files
    })
    await this.record(change, actor)
    return change
  }

  private record(change: ConfigChange, actor: Actor): Promise<void> {
    return this.audit.record({ type: 'config.changed', actor, subject: 'config', data: { ...change } })
  }
}

function sameFiles(a: ConfigState['files'], b: ConfigState['files']): boolean {
  const names = Object.keys(a)
  return (
    names.length === Object.keys(b).length &&
    names.every((n) => a[n]?.digest === b[n]?.digest && a[n]?.file === b[n]?.file)
  )
}
