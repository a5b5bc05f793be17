import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CallObserver } from '../server/host.js'

export interface Metrics extends CallObserver {
  registry: Registry
}

/**
 * Prometheus metrics with prom-client, on a registry of their own (never the global one, so
 * two servers in one process cannot mix counts). The tool label only ever holds registered
 * tool ids: unknown names are refused before they are counted, so a client cannot inflate
 * the label set.
 */
export function createMetrics(sources: { pendingApprovals(): Promise<number>; sessions(): number }): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'driftcore_mcp_' })
  const calls = new Counter({
    name: 'driftcore_mcp_tool_calls_total',
    help: 'Tool calls by tool, policy decision and outcome',
    labelNames: ['tool', 'decision', 'outcome'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'driftcore_mcp_tool_call_duration_seconds',
    help: 'Time from tools/call to its result, through the gate',
    labelNames: ['tool'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  new Gauge({
    name: 'driftcore_mcp_approvals_pending',
    help: 'Approval requests waiting for a person',
    registers: [registry],
    async collect() {
      this.set(await sources.pendingApprovals())
    },
  })
  new Gauge({
    name: 'driftcore_mcp_sessions',
    help: 'Open MCP sessions',
    registers: [registry],
    collect() {
      this.set(sources.sessions())
    },
  })
  return {
    registry,
    observe(tool, decision, outcome, seconds) {
      calls.inc({ tool, decision, outcome })
      latency.observe({ tool }, seconds)
    },
  }
}
