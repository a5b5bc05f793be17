/**
 * The plugin API without oclif's command classes: what a plugin's tools, resources and
 * capabilities hook import (`driftcore/api`). Loading it does not load oclif, so a tools call
 * that bin/run.js answers without oclif (src/cli/direct/) stays without it; `driftcore` is this
 * plus `DriftcoreCommand` and `ToolCommand`, for a plugin's commands.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'
import type { ControlOptions } from './control/server.js'
import type { Kernel, KernelOptions } from './kernel/open.js'
import { Registry } from './registry/registry.js'
import type { WorkflowDefinition } from './workflow/format/schema.js'
import type { Route } from './workflow/pools/route.js'

/**
 * Opens the kernel (config, policy, audit, gate…) for use outside a command, e.g. a script or
 * a server. Loaded on demand so that importing this package stays cheap for plugin hooks.
 */
export async function openKernel(options: KernelOptions = {}): Promise<Kernel> {
  const kernel = await import('./kernel/open.js')
  return kernel.openKernel(options)
}

/**
 * The JSON Schema of a zod input or output schema, exactly as `tools describe` and the MCP
 * server show it (so a plugin that publishes schemas uses the host's zod and options).
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * import { jsonSchema } from 'driftcore'
 *
 * const schema = jsonSchema(z.object({ name: z.string() })) // {type: 'object', properties: {name: …}, …}
 * ```
 */
/**
 * The control API's request handler (`driftcore serve`): people's requests under /control/,
 * authenticated by person tokens and audited under their names. Loaded on demand.
 */
export async function controlHandler(
  options: ControlOptions,
): Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  const control = await import('./control/server.js')
  return control.controlHandler(options)
}

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  return Registry.jsonSchema(schema, io)
}

/**
 * Loads and checks a workflow as `workflow validate` does (a file, or a name under
 * `.driftcore/workflows/` or an installed pack): schema, DAG, expressions, tool ids, sinks.
 * For plugins that hand a workflow to another engine (the tekton compiler). Loaded on demand.
 *
 * @example
 * ```ts
 * import { loadWorkflow, openKernel } from 'driftcore'
 *
 * const kernel = await openKernel()
 * const { definition, sha256 } = await loadWorkflow(kernel, 'deploy.yaml')
 * ```
 */
export async function loadWorkflow(kernel: Kernel, fileOrName: string): Promise<LoadedWorkflowView> {
  const { loadWorkflowFile } = await import('./workflow/format/load.js')
  const { compileOptions } = await import('./workflow/engine/deps.js')
  const { BUILT_IN_PACKS, checkRunInput, resolveWorkflowFile } = await import('./workflow/format/resolve.js')
  const { routeTopic } = await import('./workflow/pools/route.js')
  const file = resolveWorkflowFile(fileOrName, kernel.paths.workflows, [kernel.paths.packs, BUILT_IN_PACKS])
  const loaded = await loadWorkflowFile(file, {
    ...compileOptions(kernel),
    maxBytes: kernel.config.values.limits.max_yaml_bytes,
  })
  return {
    ...(loaded.file ? { file: loaded.file } : {}),
    sha256: loaded.sha256,
    definition: loaded.definition,
    checkInput: (input) => checkRunInput(loaded, input, kernel.redactor),
    route: (topic, requires) => routeTopic(topic, requires, kernel.config.values.pools),
  }
}

/** A workflow as `loadWorkflow` returns it. */
export interface LoadedWorkflowView {
  file?: string
  /** sha256 of the canonical definition, as a run journals it. */
  sha256: string
  definition: WorkflowDefinition
  /** Throws `invalid_input` when a run input does not fit the input schema or holds a secret. */
  checkInput: (input: unknown) => void
  /** Where the pools config sends a topic: a tool, a pool's command (`pool.exec`), or nowhere. */
  route: (topic: string, requires: readonly string[]) => Route
}

/**
 * Workflow expressions as the engine evaluates them, for a step run elsewhere (the tekton
 * runner in a pod): `template(value)` for `${{ }}` strings, `expression(text)` for `when:`,
 * conditions and `expect:` (with `output` among `variables`), `context(...)` for their scope.
 * Loaded on demand.
 */
export async function workflowExpressions() {
  const t = await import('./workflow/expr/template.js')
  const refs = () => ({ steps: new Set<string>(), env: new Set<string>() })
  return {
    template(value: unknown, where: string): (context: Record<string, unknown>) => unknown {
      const compiled = t.compileTemplate(value, (path) => [where, ...path.map(String)].join('.'))
      return (context) => compiled.evaluate(context as Parameters<typeof compiled.evaluate>[0])
    },
    expression(
      text: string,
      where: string,
      variables: readonly string[] = t.WORKFLOW_VARIABLES,
    ): (context: Record<string, unknown>) => unknown {
      const program = t.compileExpression(t.unwrapExpression(text), where, refs(), undefined, variables)
      return (context) => t.evaluateCel(program, context as Parameters<typeof t.evaluateCel>[1], where)
    },
    context(scope: {
      inputs: unknown
      steps: Record<string, { status: string; output: unknown }>
      run: Record<string, unknown>
      output?: unknown
    }): Record<string, unknown> {
      return {
        inputs: t.jsonToCel(scope.inputs),
        steps: Object.fromEntries(
          Object.entries(scope.steps).map(([id, s]) => [
            id,
            { status: s.status, output: t.jsonToCel(s.output) },
          ]),
        ),
        run: scope.run,
        env: {},
        ...('output' in scope ? { output: t.jsonToCel(scope.output) } : {}),
      }
    },
  }
}

export { defineCapabilities, defineResource, defineTool } from './registry/define.js'
export {
  DriftcoreError,
  isDriftcoreError,
  RESULT_EXIT_CODES,
  type ErrorCode,
} from './errors/driftcore-error.js'
export type {
  Capabilities,
  ContentBlock,
  InProcessWork,
  PrecheckContext,
  Progress,
  PromptArgument,
  PromptContext,
  PromptDefinition,
  PromptMessage,
  ResourceContent,
  ResourceContext,
  ResourceDefinition,
  RemoteEnv,
  RemoteExecutorDefinition,
  RemoteRef,
  RemoteSnapshot,
  RemoteStepStatus,
  RiskTag,
  SimulateRequest,
  ToolContext,
  ToolDefinition,
  ToolVerdict,
} from './registry/types.js'
export type { Actor, Identity } from './audit/record.js'
export { withIdentity } from './audit/identity.js'
export type { ArtifactRef, Retention } from './artifacts/store.js'
export type { Constraints } from './policy/constraints.js'
export type { LaunchResult, LaunchSpec } from './launcher/launch.js'
export { ensureSuccess } from './launcher/launch.js'
export type { LockRequest } from './locks/locks.js'
export type { Logger } from './logging/logger.js'
export type { PolicyDecision, PolicyRequest } from './policy/engine.js'
export type { ProjectPaths } from './store/paths.js'
export type { Kernel, KernelOptions } from './kernel/open.js'
export type { StepDefinition, WorkflowDefinition } from './workflow/format/schema.js'
export { durationMs } from './workflow/format/duration.js'
export type { Route } from './workflow/pools/route.js'
export type { ControlOptions } from './control/server.js'
export type { GateOptions, InvokeOptions, InvokeResult, DryRunResult } from './gate/invoke.js'
export type { ToolDescriptor, ResourceDescriptor, PromptDescriptor } from './registry/registry.js'
export { table } from './cli/format.js'
export { colorEnabled, palette, type Palette } from './cli/color.js'
export { readJsonInput } from './cli/input.js'
export {
  loadYamlText,
  parseYaml,
  positionOf,
  readYamlFast,
  validateYaml,
  type YamlProblem,
} from './store/yaml.js'
export { yamlLib } from './store/yaml-lib.js'
export { writeFileAtomic, writeTempBeside } from './store/atomic-write.js'
export {
  ConfinedDir,
  isWithin,
  projectRoots,
  relativeSegments,
  resolveWithin,
  type Confinement,
  type ConfineOptions,
  type EntryKind,
  type StagedFile,
} from './store/confine.js'
export { JsonDocument } from './store/documents.js'
export { sha256, canonicalJson, canonicalHash } from './store/hash.js'
