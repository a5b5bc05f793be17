// Small helpers shared by the benchmarks: percentiles and a consistent way to print figures.
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
  }
}

export function report(name, figures, target) {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
  console.log(`${name}: ${parts.join('  ')}${target ? `   (target: ${target})` : ''}`)
}

function fmt(v) {
  if (Number.isInteger(v)) return String(v)
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3)
}
