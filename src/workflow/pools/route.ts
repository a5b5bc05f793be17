import type { CoreConfig } from '../../config/schema.js'

export type PoolsConfig = CoreConfig['pools']

/** Where a job goes: a tool through the gate, or a pool's command (through the pool.exec tool). */
export type Route =
  | { kind: 'tool'; tool: string; pool?: string }
  | { kind: 'command'; pool: string }
  | { kind: 'none'; reason: string }

/**
 * Routes a topic: the first pool (in name order) that takes the topic and offers everything the
 * job requires. No such pool is not an error of the step but an undeliverable job: the caller
 * sends it to the DLQ with error_code no_pool_mapping.
 */
export function routeTopic(topic: string, requires: readonly string[], pools: PoolsConfig): Route {
  const candidates = Object.entries(pools)
    .filter(([, pool]) => pool.topics.includes(topic))
    .sort(([a], [b]) => a.localeCompare(b))
  if (candidates.length === 0) return { kind: 'none', reason: `no pool takes topic "${topic}"` }
  const fit = candidates.find(([, pool]) => requires.every((r) => pool.capabilities.includes(r)))
  if (!fit) {
    const missing = requires.filter((r) => !candidates.some(([, p]) => p.capabilities.includes(r)))
    return {
      kind: 'none',
      reason: `no pool taking topic "${topic}" offers ${missing.length > 0 ? missing.join(', ') : requires.join(', ')} (pools: ${candidates.map(([n]) => n).join(', ')})`,
    }
  }
  const [name, pool] = fit
  return 'tool' in pool.handler
    ? { kind: 'tool', tool: pool.handler.tool, pool: name }
    : { kind: 'command', pool: name }
}
