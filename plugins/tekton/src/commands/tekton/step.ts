import { Flags } from '@oclif/core'
import { DriftcoreCommand, DriftcoreError } from 'driftcore'

export default class TektonStep extends DriftcoreCommand<typeof TektonStep> {
  static override hidden = true
  static override strict = false
  static override summary =
    'Run one step of a compiled workflow in a Tekton task (what the runner image does)'
  static override description =
    'Decides the step’s when:, evaluates its templates, makes its tool call on the driftcore service ' +
    '(--server, token from DRIFTCORE_MCP_TOKEN) and writes the Tekton results. Arguments after -- are ' +
    'id=status:output of the steps it reads. The Pipeline that `workflow compile --target tekton` writes passes all of it.'
  static override examples = [
    '<%= config.bin %> tekton step --workflow w --step a --definition \'{"id":"a","type":"condition","expression":"true","depends_on":[]}\' --inputs {} --server http://127.0.0.1:7800 --run-id r1 --status-file s --output-file o',
  ]
  static override flags = {
    workflow: Flags.string({ required: true, description: 'the workflow name' }),
    step: Flags.string({ required: true, description: 'the step id' }),
    definition: Flags.string({ required: true, description: 'the step definition (JSON)' }),
    inputs: Flags.string({ required: true, description: 'the run input (JSON)' }),
    server: Flags.string({ required: true, description: 'the driftcore service URL' }),
    'run-id': Flags.string({ required: true, description: 'the run id (the PipelineRun name)' }),
    'retry-count': Flags.integer({ default: 0, description: 'how many attempts came before this one' }),
    'status-file': Flags.string({ required: true, description: 'where to write the status result' }),
    'output-file': Flags.string({ required: true, description: 'where to write the output result' }),
    'poll-ms': Flags.integer({
      default: 10_000,
      min: 100,
      description: 'how often to ask again while a person has not decided yet (ms)',
    }),
  }

  async run() {
    const { parseUpstream, runStep } = await import('../../runner/step.js')
    const token = process.env.DRIFTCORE_MCP_TOKEN
    if (!token)
      throw new DriftcoreError('unavailable', 'no task token: DRIFTCORE_MCP_TOKEN is empty', {
        hint: 'the Task reads it from the Secret named by the driftcore-token-secret param (key token)',
      })
    const parse = (what: string, text: string): unknown => {
      try {
        return JSON.parse(text) as unknown
      } catch (error) {
        throw new DriftcoreError('invalid_input', `--${what} is not JSON`, { cause: error })
      }
    }
    const definition = parse('definition', this.flags.definition) as { id?: string }
    if (definition.id !== this.flags.step)
      throw new DriftcoreError(
        'invalid_input',
        `--definition is step ${String(definition.id)}, not ${this.flags.step}`,
      )
    // What follows `--` (raw argv: a flag value may itself look like an argument).
    const dashes = this.argv.indexOf('--')
    const upstream = parseUpstream(dashes >= 0 ? this.argv.slice(dashes + 1) : [])
    const result = await runStep({
      workflow: this.flags.workflow,
      definition: definition as Parameters<typeof runStep>[0]['definition'],
      inputs: parse('inputs', this.flags.inputs),
      upstream,
      server: this.flags.server,
      token,
      runId: this.flags['run-id'],
      retryCount: this.flags['retry-count'],
      statusFile: this.flags['status-file'],
      outputFile: this.flags['output-file'],
      approvalPollMs: this.flags['poll-ms'],
      verdictOf: (tool, output) => this.toolVerdict(tool, output),
    })
    if (!this.jsonEnabled()) this.log(`${this.flags.step} ${result.status}`)
    return result
  }
}
