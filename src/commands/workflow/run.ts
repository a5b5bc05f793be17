import { Flags } from '@oclif/core'
import { readJsonInput } from '../../cli/input.js'
import { WorkflowCommand, workflowArgs, waitFlag } from '../../cli/workflow-command.js'

export default class WorkflowRun extends WorkflowCommand<typeof WorkflowRun> {
  static override summary = 'Run a workflow in this process until it finishes or waits for a person'
  static override description =
    'Every worker step goes through the gate as you (DRIFTCORE_ACTOR). The run is journaled under ' +
    '.driftcore/runs/<run_id>/; if the process dies, `workflow resume` continues it. A run that waits only ' +
    'for approvals is suspended (exit 5) unless --wait is given. On a terminal the step states are shown live; ' +
    'with --json every transition is printed as one JSON line, then the result. A run ends with its result in words: ' +
    "what each step's tool said it did, and why the run failed (a step's expect: was false, or its tool's verdict " +
    'says the job was not done) or finished with a warning (on_verdict: warn).'
  static override examples = [
    `<%= config.bin %> workflow run deploy.yaml --input '{"site":"default"}'`,
    '<%= config.bin %> workflow run nightly --input @input.json --wait',
    '<%= config.bin %> workflow run deploy.yaml --dry-run',
    '<%= config.bin %> workflow run deploy.yaml --idempotency-key deploy-4711 --json',
    '<%= config.bin %> workflow run deploy.yaml --on tekton',
  ]
  static override args = {
    file: workflowArgs.file,
  }
  static override flags = {
    input: Flags.string({ char: 'i', description: 'run input as JSON, @file.json, or - for stdin' }),
    'dry-run': Flags.boolean({
      description: 'validate, decide every step by policy and print the plan; nothing runs or is recorded',
    }),
    wait: waitFlag,
    'idempotency-key': Flags.string({ description: 'a repeated key returns the run started with it' }),
    on: Flags.string({
      description:
        'where the steps run: local (this process), or an executor a plugin provides (tekton: a PipelineRun on Kubernetes, followed here)',
      default: 'local',
    }),
  }

  async run() {
    const workflows = await this.workflows()
    const input = await readJsonInput(this.flags.input, {
      maxBytes: (await this.kernel()).config.values.limits.max_input_bytes,
    })
    if (this.flags['dry-run']) {
      const plan = await workflows.plan(this.args.file, input)
      if (!this.jsonEnabled()) {
        const { planText } = await import('../../workflow/view/format.js')
        this.log(planText(plan))
      }
      return { dry_run: true, plan }
    }
    const loaded = await workflows.load(this.args.file)
    return this.watch(loaded.compiled.order, (options) =>
      workflows.start(loaded, input, {
        ...options,
        waitForApprovals: this.flags.wait,
        ...(this.flags.on !== 'local' ? { on: this.flags.on } : {}),
        ...(this.flags['idempotency-key'] ? { idempotencyKey: this.flags['idempotency-key'] } : {}),
      }),
    )
  }
}
