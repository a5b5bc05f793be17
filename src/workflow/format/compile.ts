import type { Redactor } from '../../audit/redact.js'
import type { CelProgram } from '../../cel/compile.js'
import type { ListBound } from '../../cel/cost.js'
import { DriftcoreError } from '../../errors/driftcore-error.js'
import { isSecretRef } from '../../secrets/resolve.js'
import { buildDag, upstreamOf, type Locate } from '../dag/graph.js'
import {
  compileExpression,
  compileTemplate,
  ConstantTemplate,
  unwrapExpression,
  WORKFLOW_VARIABLES,
  type Template,
} from '../expr/template.js'
import { durationMs } from './duration.js'
import { compileJsonSchema, type JsonValidator } from './json-schema.js'
import { retrySchema, type RetryPolicy, type StepDefinition, type WorkflowDefinition } from './schema.js'

export interface CompiledStep {
  def: StepDefinition
  dependencies: string[]
  dependents: string[]
  when?: CelProgram
  /** Steps `when:` reads; when none, it can be decided before the run (dry run). */
  whenSteps: ReadonlySet<string>
  /**
   * The step's templates when one holds an expression; undefined when all are constant, which
   * `templatesOf` makes again from the definition when asked. Read them through `templatesOf`.
   */
  keptTemplates: StepTemplates | undefined
  expression?: CelProgram
  /** `expect:` — each must be true of the step's output. */
  expectations: readonly Expectation[]
  output?: JsonValidator
  retry: RetryPolicy
  timeoutMs?: number
}

/** worker: with (and meta.idempotency_key); approval/notify: message; delay: until; notify: data. */
export interface StepTemplates {
  with?: Template
  message?: Template
  until?: Template
  data?: Template
  key?: Template
}

/**
 * A step's templates. Those of a step without expressions (every step of a big generated
 * workflow, as a rule) are not kept for the whole run: two small objects a step, 4 MB at
 * 50,000 steps. They are made again from the definition, which compiling already proved
 * holds no expression, so they come out as they did then.
 */
export function templatesOf(step: CompiledStep): StepTemplates {
  return step.keptTemplates ?? templatesFor(step.def, (_key, value) => compileTemplate(value, NOWHERE))
}

const NOWHERE = () => ''

function templatesFor(
  def: StepDefinition,
  template: (key: string, value: unknown) => Template,
): StepTemplates {
  switch (def.type) {
    case 'worker':
      return {
        with: withoutNullKeys(template('with', def.with)),
        ...(def.meta?.idempotency_key ? { key: template('meta', def.meta.idempotency_key) } : {}),
      }
    case 'approval':
      return { message: template('message', def.message) }
    case 'delay':
      return def.until ? { until: template('until', def.until) } : {}
    case 'condition':
      return {}
    case 'notify':
      return {
        message: template('message', def.message),
        ...(def.data ? { data: template('data', def.data) } : {}),
      }
  }
}

/** One `expect:` expression, with where it stands in the file for the message. */
export interface Expectation {
  text: string
  where: string
  program: CelProgram
}

/** What an expectation sees: the workflow's variables and the step's own output. */
export const EXPECT_VARIABLES = [...WORKFLOW_VARIABLES, 'output'] as const

export interface CompiledWorkflow {
  definition: WorkflowDefinition
  steps: Map<string, CompiledStep>
  order: string[]
  /**
   * Steps some expression of the workflow reads (`steps.<id>` in a template, `when:`, a
   * condition or `expect:`): only their status and output need to stay at hand for CEL.
   */
  read: ReadonlySet<string>
  validateInput: JsonValidator
  concurrency?: number
  timeoutMs?: number
}

export interface CompileOptions {
  /** Names `${{ env.X }}` may read (workflow.env_allowlist). */
  envAllowlist: readonly string[]
  /** Sink names a notify step may use besides stdout. */
  sinks: readonly string[]
  /** When given, worker `tool:` ids must be registered. */
  hasTool?: (id: string) => void
  redactor: Redactor
}

const NO_RETRY = retrySchema.parse({})
const NO_STEPS: ReadonlySet<string> = new Set()
const NO_EXPECTATIONS: readonly Expectation[] = Object.freeze([])
// Defined here, not in compileWorkflow: a closure made there would keep that call's scope (the
// DAG's maps, every id) alive as long as the workflow.
const ACCEPT_ANY: JsonValidator = () => []
// An empty depends_on, and the dependencies and dependents of a step that has none: one list.
const NO_IDS = Object.freeze([]) as unknown as string[]

/**
 * One step as the executor runs it. What most steps leave at its default (no `when:`, no
 * `expect:`, the default retry, templates without expressions) is read from the prototype
 * rather than kept in each step: a step of a 50,000-step fan-out keeps one field, not ten.
 */
class Step implements CompiledStep {
  declare dependencies: string[]
  declare dependents: string[]
  declare when?: CelProgram
  declare whenSteps: ReadonlySet<string>
  declare keptTemplates: StepTemplates | undefined
  declare expression?: CelProgram
  declare expectations: readonly Expectation[]
  declare output?: JsonValidator
  declare retry: RetryPolicy
  declare timeoutMs?: number

  constructor(
    readonly def: StepDefinition,
    dependencies: string[],
    dependents: string[],
  ) {
    if (dependencies.length > 0) this.dependencies = dependencies
    if (dependents.length > 0) this.dependents = dependents
  }
}
Object.assign(Step.prototype, {
  dependencies: NO_IDS,
  dependents: NO_IDS,
  whenSteps: NO_STEPS,
  expectations: NO_EXPECTATIONS,
  retry: NO_RETRY,
})

/**
 * The parser makes a new string for every scalar and zod a new list for every default: across a
 * 50,000-step fan-out that is 50,000 copies each of "worker", of the tool id and of an empty
 * depends_on. One of each is kept; the definition reads, hashes and serializes the same.
 */
function shareRepeated(def: WorkflowDefinition['steps'][number], shared: Map<string, string>): void {
  const one = (value: string) => {
    const kept = shared.get(value)
    if (kept !== undefined) return kept
    shared.set(value, value)
    return value
  }
  def.type = one(def.type) as typeof def.type
  if (def.type === 'worker') {
    if (def.tool !== undefined) def.tool = one(def.tool)
    if (def.topic !== undefined) def.topic = one(def.topic)
  }
  if (def.depends_on.length === 0) def.depends_on = NO_IDS
}

/**
 * Turns a validated definition into what the executor runs: the DAG, every expression compiled,
 * every reference checked (a step an expression names must be upstream; env names must be on
 * the allowlist), JSON Schemas compiled, and no literal secret anywhere in the file.
 */
export function compileWorkflow(
  definition: WorkflowDefinition,
  locate: Locate,
  options: CompileOptions,
): CompiledWorkflow {
  rejectLiteralSecrets(definition, locate, options.redactor)
  const bound = inputListBound(definition.input)
  const dag = buildDag(definition.steps, locate)
  const ids = new Set(definition.steps.map((s) => s.id))
  const steps = new Map<string, CompiledStep>()
  const read = new Set<string>()
  const shared = new Map<string, string>()
  definition.steps.forEach((def, index) => {
    shareRepeated(def, shared)
    const at = (...path: PropertyKey[]) => locate(['steps', index, ...path])
    let upstream: Set<string> | undefined
    const checkRefs = (refs: { steps: Set<string>; env: Set<string> }, key: string) => {
      for (const name of refs.steps) {
        read.add(name)
        if (!ids.has(name))
          throw new DriftcoreError(
            'invalid_input',
            `${at(key)}: steps.${name} names no step of this workflow`,
          )
        upstream ??= upstreamOf(def.id, dag.dependencies)
        if (!upstream.has(name))
          throw new DriftcoreError(
            'invalid_input',
            `${at(key)}: step "${def.id}" reads steps.${name} but does not depend on it`,
            { hint: `add "${name}" to depends_on (directly or through another step)` },
          )
      }
      for (const name of refs.env) {
        if (!options.envAllowlist.includes(name))
          throw new DriftcoreError(
            'invalid_input',
            `${at(key)}: env.${name} is not on workflow.env_allowlist`,
            {
              hint: `allow it with: driftcore config set workflow.env_allowlist '[${[...options.envAllowlist, name].join(', ')}]'`,
            },
          )
      }
    }
    const template = (key: string, value: unknown) => {
      const compiled = compileTemplate(value, (path) => at(key, ...path), [], bound)
      checkRefs(compiled, key)
      return compiled
    }
    // What a step keeps (its CompiledStep) must not capture these per-step closures: shared
    // empty sets and lists where there is nothing, and templates that hold only their values.
    const whenSteps = def.when ? new Set<string>() : NO_STEPS
    const expression = (key: string, text: string) => {
      const refs = {
        steps: key === 'when' ? (whenSteps as Set<string>) : new Set<string>(),
        env: new Set<string>(),
      }
      const program = compileExpression(unwrapExpression(text), at(key), refs, bound)
      checkRefs(refs, key)
      return program
    }
    const expectations = (value: string | string[] | undefined): readonly Expectation[] =>
      value === undefined
        ? NO_EXPECTATIONS
        : (Array.isArray(value) ? value : [value]).map((text, i) => {
            const where = Array.isArray(value) ? at('expect', i) : at('expect')
            const refs = { steps: new Set<string>(), env: new Set<string>() }
            const source = unwrapExpression(text)
            const program = compileExpression(source, where, refs, bound, EXPECT_VARIABLES)
            checkRefs(refs, 'expect')
            return { text: source, where, program }
          })
    const step = new Step(def, dag.dependencies.get(def.id)!, dag.dependents.get(def.id)!)
    if (def.when) {
      step.whenSteps = whenSteps
      step.when = expression('when', def.when)
    }
    if ('timeout' in def && def.timeout !== undefined) step.timeoutMs = durationMs(def.timeout)
    switch (def.type) {
      case 'worker':
        if ((def.tool === undefined) === (def.topic === undefined))
          throw new DriftcoreError('invalid_input', `${at('type')}: a worker step names either tool or topic`)
        if (def.tool) {
          try {
            options.hasTool?.(def.tool)
          } catch (error) {
            const e = error as DriftcoreError
            throw new DriftcoreError(e.code, `${at('tool')}: ${e.message}`, e.hint ? { hint: e.hint } : {})
          }
        }
        if (def.retry) step.retry = def.retry
        if (def.output) step.output = compileJsonSchema(def.output, at('output'))
        if (def.expect !== undefined) step.expectations = expectations(def.expect)
        break
      case 'delay':
        if ((def.duration === undefined) === (def.until === undefined))
          throw new DriftcoreError(
            'invalid_input',
            `${at('type')}: a delay step gives either duration or until`,
          )
        break
      case 'condition':
        step.expression = expression('expression', def.expression)
        if (def.expect !== undefined) step.expectations = expectations(def.expect)
        break
      case 'notify':
        def.sinks.forEach((sink, i) => {
          if (sink !== 'stdout' && !options.sinks.includes(sink))
            throw new DriftcoreError('invalid_input', `${at('sinks', i)}: unknown notify sink "${sink}"`, {
              hint: `sinks: stdout${options.sinks.map((s) => `, ${s}`).join('')} (configure more under workflow.notify.sinks)`,
            })
        })
        break
    }
    // Every template of the step, compiled (and its references checked) for every step type.
    const templates = templatesFor(def, template)
    if (!Object.values(templates).every((t: Template) => t.constant)) step.keptTemplates = templates
    steps.set(def.id, step)
  })
  return {
    definition,
    steps,
    order: dag.order,
    read,
    validateInput: definition.input ? compileJsonSchema(definition.input, locate(['input'])) : ACCEPT_ANY,
    ...(definition.concurrency ? { concurrency: definition.concurrency } : {}),
    ...(definition.timeout !== undefined ? { timeoutMs: durationMs(definition.timeout) } : {}),
  }
}

// A workflow file is shared and journaled; secrets belong in secret:// references, resolved
// only when a tool needs them. A literal that looks like one is refused where it stands.
function rejectLiteralSecrets(definition: WorkflowDefinition, locate: Locate, redactor: Redactor): void {
  const walk = (value: unknown, path: PropertyKey[]) => {
    if (typeof value === 'string') {
      if (value.includes('${{') || isSecretRef(value) || value === '') return
      const key = path[path.length - 1]
      const byKey = typeof key === 'string' && redactor.isSensitiveKey(key)
      if (byKey || redactor.redactText(value) !== value)
        throw new DriftcoreError('invalid_input', `${locate(path)}: this value looks like a secret`, {
          hint: 'pass secrets by reference, e.g. secret://env/NAME, or take them from ${{ inputs.… }}',
        })
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]))
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k])
  }
  walk(definition, [])
}

/**
 * A `with` key whose value comes out `null` is left out of the input, so a workflow can pass
 * an optional tool input only when it has one: `config_dir: '${{ has(inputs.dir) ? inputs.dir : null }}'`.
 */
function withoutNullKeys(t: Template): Template {
  // A constant `with` (most steps of a big generated workflow) stays one small object.
  if (t instanceof ConstantTemplate) return new FreshWithoutNulls(t.value)
  return { ...t, evaluate: (context) => dropNullKeys(t.evaluate(context)) }
}

// A new object per call, as for a computed `with`: the caller may keep or change what it gets.
class FreshWithoutNulls extends ConstantTemplate {
  override evaluate(): unknown {
    return dropNullKeys(this.value)
  }
}

function dropNullKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null))
}

/** `maxItems` of the input array at `inputs.a.b`, so the CEL cost estimate can use it. */
function inputListBound(schema: unknown): ListBound {
  return (path) => {
    if (path[0] !== 'inputs') return undefined
    let node = schema
    for (const key of path.slice(1)) {
      const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties
      node = properties && Object.hasOwn(properties, key) ? properties[key] : undefined
    }
    const maxItems = (node as { maxItems?: unknown } | undefined)?.maxItems
    return typeof maxItems === 'number' && Number.isInteger(maxItems) && maxItems >= 0 ? maxItems : undefined
  }
}
