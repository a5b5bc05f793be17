import type { Kernel } from 'driftcore/api'
import { pluginPromptEntry } from './plugin-prompts.js'
import {
  ErrorCode,
  McpError,
  type CompleteRequest,
  type CompleteResult,
  type GetPromptResult,
  type Prompt,
} from '@modelcontextprotocol/sdk/types.js'

type Registry = Kernel['registry']

interface FlagshipPrompt extends Prompt {
  /** Values to suggest per argument (completion/complete). */
  suggest?: Record<string, readonly string[]>
  render: (
    args: Record<string, string>,
    tool: (id: string) => string,
    resource: (n: string) => string,
  ) => string
}

const RULES = `Rules for every step:
- Each call is decided by policy and written to the audit log. Use policy.simulate when unsure.
- A denied call is a decision: report its rule and reason and do not retry it.
- A call that needs approval returns an approval id. You cannot approve it. Tell the person the id and the command \`driftcore approvals approve <id>\`, poll approvals.status, and once it is approved repeat the call with exactly the same arguments.`

// The flagship workflows, written as guides through the tools by name. The tools come from
// other plugins (drush, drift) and need not be installed: each name says whether it is here.
const PROMPTS: FlagshipPrompt[] = [
  {
    name: 'metadata-inspection',
    title: 'Inspect the site content model',
    description:
      'Harvest the Drupal entity types, bundles and fields, compare them with the previous snapshot, and summarise the deltas.',
    arguments: [{ name: 'entity_type', description: 'limit the inspection to one entity type, e.g. node' }],
    // Drupal core's content entity types; a site may have more, and any name is accepted.
    suggest: {
      entity_type: [
        'block_content',
        'comment',
        'file',
        'media',
        'node',
        'paragraph',
        'taxonomy_term',
        'user',
      ],
    },
    render: (args, tool, resource) => {
      const scope = args.entity_type ? `the entity type "${args.entity_type}"` : 'every entity type'
      return `Inspect the content model of this Drupal site for ${scope} and summarise what changed since the last harvest. Read only: change nothing. (A person runs the same steps with \`driftcore workflow run metadata-inspection\`.)

1. Harvest the content model with ${tool('drush.metadataHarvest')} (source "auto" uses Drush when reachable, else the config export). Its output names the previous snapshot, if there is one.
2. If there is a previous snapshot, compare with ${tool('drush.metadataCompare')} (from "previous", to "latest").
3. For detail, read ${resource('schema.entityTypes')} and ${resource('schema.fields')} (JSON Schema per entity type and bundle)${args.entity_type ? `, or refresh "${args.entity_type}" with ${tool('drush.entitySchema')}` : ''}; ${tool('drush.fieldInfo')} gives a field's storage and settings.
4. Summarise in a short table: bundles added or removed; fields added, removed or changed (type, cardinality, required, allowed values, reference targets).

${RULES}`
    },
  },
  {
    name: 'config-drift',
    title: 'Check configuration drift',
    description:
      'Export the live configuration, compare it with the baseline, and propose remediation that a person approves.',
    arguments: [
      { name: 'baseline', description: 'the baseline to compare with (default: the project baseline)' },
    ],
    render: (args, tool) => {
      const baseline = args.baseline ? `the baseline "${args.baseline}"` : 'the project baseline'
      return `Check this Drupal site's configuration for drift against ${baseline}, then remediate it with a person's approval. (A person runs the same steps with \`driftcore workflow run config-drift\`.)

1. Ask policy first: ${tool('policy.simulate')} for ${tool('drift.accept')} and ${tool('drush.configImport')}, so you know what is allowed, denied or needs approval.
2. Export the live configuration with ${tool('drush.configExport')} (an artifact with the tarball, a manifest and its digest); ${tool('drush.configStatus')} gives Drupal's own view.
3. Compare the export (its record) with ${baseline} using ${tool('drift.check')}. Reordered keys and uuid-only changes are not drift.
4. Summarise every config object as added, removed or changed, with the key paths that differ, and the remediation plan from the check: which objects to accept into the baseline (the site is right) and which to import (the baseline is right).
5. Run the plan's steps in order, each exactly as given: ${tool('drift.accept')}, then ${tool('drush.configImport')}. Each changes something, so expect each to need a person's approval.
6. Export and check again: there should be no drift left. If an import changed modules, rebuild caches with ${tool('drush.cacheRebuild')}.

${RULES}`
    },
  },
]

/** The flagship prompts, then every plugin's (named `prefix.name`). */
export function listPrompts(registry?: Registry): Prompt[] {
  return [
    ...PROMPTS.map(({ render: _render, suggest: _suggest, ...prompt }) => prompt),
    ...(registry?.prompts() ?? []).map(pluginPromptEntry),
  ]
}

/**
 * completion/complete for prompt arguments (suggestions by prefix) and resource template
 * parameters (none known yet). Unknown prompts, arguments and templates are invalid params,
 * as the spec asks.
 */
export function complete(params: CompleteRequest['params'], registry: Registry): CompleteResult {
  const { ref, argument } = params
  let values: readonly string[] = []
  const plugin = ref.type === 'ref/prompt' ? registry.prompts().find((p) => p.name === ref.name) : undefined
  if (plugin) {
    const declared = plugin.arguments?.find((a) => a.name === argument.name)
    if (!declared)
      throw new McpError(ErrorCode.InvalidParams, `prompt ${plugin.name} has no argument ${argument.name}`)
    values = declared.suggest ?? []
  } else if (ref.type === 'ref/prompt') {
    const prompt = promptNamed(ref.name)
    if (!prompt.arguments?.some((a) => a.name === argument.name))
      throw new McpError(ErrorCode.InvalidParams, `prompt ${ref.name} has no argument ${argument.name}`)
    values = prompt.suggest?.[argument.name] ?? []
  } else if (!registry.resources().some((r) => r.template && r.uri === ref.uri)) {
    throw new McpError(ErrorCode.InvalidParams, `no resource template ${ref.uri}`)
  }
  const matching = values.filter((v) => v.startsWith(argument.value))
  return {
    completion: { values: matching.slice(0, 100), total: matching.length, hasMore: matching.length > 100 },
  }
}

function promptNamed(name: string): FlagshipPrompt {
  const prompt = PROMPTS.find((p) => p.name === name)
  if (prompt) return prompt
  throw new McpError(
    ErrorCode.InvalidParams,
    `Unknown prompt: ${name} (prompts: ${PROMPTS.map((p) => p.name).join(', ')})`,
  )
}

export function getPrompt(name: string, args: Record<string, string>, registry: Registry): GetPromptResult {
  const prompt = promptNamed(name)
  const tools = new Set(registry.tools().map((t) => t.id))
  const resources = new Map(registry.resources().map((r) => [r.name, r.uri]))
  const tool = (id: string) => (tools.has(id) ? `\`${id}\`` : `\`${id}\` (not installed on this server)`)
  const resource = (n: string) => {
    const uri = resources.get(n)
    return uri ? `\`${n}\` (${uri})` : `\`${n}\` (not installed on this server)`
  }
  return {
    description: prompt.description,
    messages: [{ role: 'user', content: { type: 'text', text: prompt.render(args, tool, resource) } }],
  }
}
