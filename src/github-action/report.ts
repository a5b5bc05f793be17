import path from 'node:path'

/** What the action tells GitHub about one driftcore command: outputs, summary, annotations. */
export interface ActionReport {
  /** The command as a person would type it. */
  title: string
  outputs: Record<string, string>
  /** HTML/Markdown for the job summary. */
  summary: string
  annotations: Annotation[]
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  title: string
  file?: string
  startLine?: number
  startColumn?: number
}

interface ErrorOutput {
  error: { code?: unknown; message?: unknown; hint?: string; details?: Record<string, unknown> }
}

interface Problem {
  file: string
  line: number
  col?: number
  path?: string
  message: string
}

interface RunOutput {
  run_id: string
  status: string
  summary?: string
  next?: string
  steps: Record<string, { status: string; attempt?: number; error?: { code: string; message: string } }>
}

interface DriftOutput {
  drift: boolean
  baseline: { source: string; kind: string }
  objects: { name: string; file?: string; status: string; changes?: { path: string; kind: string }[] }[]
}

// Summaries are capped per step by GitHub (1 MiB); the JSON shown is cut well below that.
const MAX_JSON_IN_SUMMARY = 64 * 1024

/**
 * A command's --json output: one JSON document, or JSON lines (`workflow run` streams its
 * events), whose last line is the result.
 */
export function parseOutput(stdout: string): unknown {
  const text = stdout.trim()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    const last = text.split('\n').at(-1)!
    try {
      return JSON.parse(last)
    } catch {
      return undefined
    }
  }
}

export function reportOf(
  args: readonly string[],
  exitCode: number,
  output: unknown,
  options: {
    workspace?: string
    cwd: string
    allowed: boolean
    /** Why a command that printed no JSON result failed (from its stderr): a parse error, an unknown command. */
    reason?: string
  },
): ActionReport {
  const command = `driftcore ${args.filter((a) => a !== '--json').join(' ')}`
  const outputs: Record<string, string> = { 'exit-code': String(exitCode) }
  if (output !== undefined) outputs.json = JSON.stringify(output)
  const annotations: Annotation[] = []
  const lines: string[] = [`<h2>${escape(command)}</h2>`]

  if (isError(output)) {
    const { hint, details } = output.error
    // Not every failure is driftcore's own error: a JSON error without a code is still reported.
    const code = typeof output.error.code === 'string' ? output.error.code : `exit ${exitCode}`
    const message = typeof output.error.message === 'string' ? output.error.message : 'the command failed'
    outputs['error-code'] = code
    lines.push(`<p>❌ <b>${escape(code)}</b> (exit ${exitCode}): ${escape(message)}</p>`)
    if (code === 'approval_required' && typeof details?.approval_id === 'string') {
      outputs['approval-id'] = details.approval_id
      lines.push(
        `<p>A person approves it with <code>driftcore approvals approve ${escape(details.approval_id)}</code>, then this job is run again.</p>`,
      )
    } else if (hint) lines.push(`<p>${escape(hint)}</p>`)
    // A file that is not valid (a workflow, config, policy) names file:line:col for each problem:
    // each becomes an annotation on that line, so it shows in the pull request's diff.
    const problems = problemsOf(details).flatMap((p) => {
      const file = inWorkspace(path.resolve(options.cwd, p.file), options.workspace)
      return file ? [{ ...p, file }] : []
    })
    for (const p of problems)
      annotations.push({
        level: 'error',
        title: command,
        message: `${p.path ? `${p.path}: ` : ''}${p.message}`,
        file: p.file,
        startLine: p.line,
        ...(p.col ? { startColumn: p.col } : {}),
      })
    if (problems.length === 0)
      annotations.push({
        level: options.allowed ? 'warning' : 'error',
        title: command,
        message: `${code}: ${message}${hint ? `\n${hint}` : ''}`,
      })
  } else if (isDrift(output)) {
    lines.push(
      output.drift
        ? `<p>${options.allowed ? '⚠️' : '❌'} ${output.objects.length} config object(s) drifted from the baseline.</p>`
        : '<p>✅ No drift: the config matches the baseline.</p>',
    )
    if (output.objects.length > 0) {
      lines.push('<table><tr><th>Object</th><th>Status</th><th>Changed keys</th></tr>')
      for (const o of output.objects) {
        const keys = (o.changes ?? []).map((c) => `${c.path} (${c.kind})`).join(', ')
        lines.push(`<tr><td>${escape(o.name)}</td><td>${escape(o.status)}</td><td>${escape(keys)}</td></tr>`)
        annotations.push({
          level: 'warning',
          title: `config drift: ${o.name}`,
          message: `${o.name} is ${o.status}${keys ? `: ${keys}` : ''}`,
          ...driftFile(output, o, options),
        })
      }
      lines.push('</table>')
    }
  } else if (isRun(output)) {
    outputs['run-id'] = output.run_id
    lines.push(
      `<p>${output.status === 'succeeded' ? '✅' : output.status === 'suspended' ? '⏸️' : '❌'} run <code>${escape(output.run_id)}</code> ${escape(output.status)}${output.summary ? `: ${escape(output.summary)}` : ''}</p>`,
    )
    if (output.next) lines.push(`<p>${escape(output.next)}</p>`)
    lines.push('<table><tr><th>Step</th><th>Status</th><th>Attempts</th><th>Error</th></tr>')
    for (const [id, step] of Object.entries(output.steps)) {
      const error = step.error ? `${step.error.code}: ${step.error.message}` : ''
      lines.push(
        `<tr><td>${escape(id)}</td><td>${escape(step.status)}</td><td>${step.attempt ?? ''}</td><td>${escape(error)}</td></tr>`,
      )
      if (step.error && (step.status === 'failed' || step.status === 'timed_out'))
        annotations.push({
          level: options.allowed ? 'warning' : 'error',
          title: `${command}: step ${id}`,
          message: error,
        })
    }
    lines.push('</table>')
  } else if (exitCode === 0) {
    lines.push('<p>✅ Succeeded.</p>')
  } else {
    // No result to read (oclif refused the command line before driftcore ran): say why.
    const reason = options.reason ?? `exited with ${exitCode} and printed no result`
    lines.push(`<p>❌ Exit ${exitCode}: ${escape(reason)}</p>`)
    annotations.push({ level: options.allowed ? 'warning' : 'error', title: command, message: reason })
  }
  if (output !== undefined) {
    const json = JSON.stringify(output, null, 2)
    const shown = json.length > MAX_JSON_IN_SUMMARY ? `${json.slice(0, MAX_JSON_IN_SUMMARY)}\n…` : json
    lines.push(`<details><summary>JSON result</summary>\n\n<pre>${escape(shown)}</pre>\n</details>`)
  }
  return { title: command, outputs, summary: `${lines.join('\n')}\n`, annotations }
}

/** A drifted object's file in the baseline folder, relative to the workspace, for the annotation. */
function driftFile(
  report: DriftOutput,
  object: DriftOutput['objects'][number],
  options: { workspace?: string; cwd: string },
): { file?: string } {
  if (report.baseline.kind !== 'directory' || !object.file) return {}
  const file = inWorkspace(path.resolve(options.cwd, report.baseline.source, object.file), options.workspace)
  return file ? { file } : {}
}

/** A file's path relative to the workspace, as annotations want it; none when it is outside. */
function inWorkspace(file: string, workspace: string | undefined): string | undefined {
  if (!workspace) return undefined
  const relative = path.relative(workspace, file)
  return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative
}

/**
 * The reason in a command's stderr when it printed no result: oclif's own errors (an unknown
 * command, a flag it does not know) read `Error: …`, possibly after a ` ›` gutter and with colour.
 */
export function stderrReason(stderr: string): string | undefined {
  const lines = stderr
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*›?\s*/, '').trimEnd())
  const at = lines.findLastIndex((l) => l.startsWith('Error: '))
  if (at === -1) return lines.filter(Boolean).at(-1)
  const rest = lines
    .slice(at + 1)
    .filter((l) => l && !/^See more help with|^Did you mean|^Run .* --help/.test(l))
  return [lines[at]!.slice('Error: '.length), ...rest].join('\n')
}

function problemsOf(details: Record<string, unknown> | undefined): Problem[] {
  const problems = details?.problems
  if (!Array.isArray(problems)) return []
  return problems.filter(
    (p): p is Problem =>
      typeof p === 'object' &&
      p !== null &&
      typeof (p as Problem).file === 'string' &&
      typeof (p as Problem).line === 'number' &&
      typeof (p as Problem).message === 'string',
  )
}

function isRun(output: unknown): output is RunOutput {
  return (
    typeof output === 'object' &&
    output !== null &&
    'run_id' in output &&
    typeof output.run_id === 'string' &&
    'steps' in output &&
    typeof output.steps === 'object' &&
    output.steps !== null
  )
}

function isError(output: unknown): output is ErrorOutput {
  return (
    typeof output === 'object' &&
    output !== null &&
    'error' in output &&
    typeof output.error === 'object' &&
    output.error !== null
  )
}

function isDrift(output: unknown): output is DriftOutput {
  return (
    typeof output === 'object' &&
    output !== null &&
    'drift' in output &&
    typeof output.drift === 'boolean' &&
    'objects' in output &&
    Array.isArray(output.objects)
  )
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}
