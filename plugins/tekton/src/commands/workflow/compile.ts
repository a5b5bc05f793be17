import path from 'node:path'
import { Args, Flags } from '@oclif/core'
import { DriftcoreCommand, DriftcoreError, loadWorkflow } from 'driftcore'
import { readInputs } from '../../cli/inputs.js'

export default class WorkflowCompile extends DriftcoreCommand<typeof WorkflowCompile> {
  static override summary =
    'Compile a workflow for another engine: a Tekton Pipeline whose tasks call the driftcore service'
  static override description =
    'Writes tekton.dev/v1 documents: a Task (the driftcore runner image running one step), the Pipeline ' +
    '(depends_on → runAfter, when → when or a decision in the task, retry → retries, timeouts, clean-ups and ' +
    'notifications → finally) and a PipelineRun for the given input. Each task calls `driftcore tekton step`, which ' +
    'makes the tool call on the driftcore service (--server), so the same policy decides it and the same audit log ' +
    'records it. A construct Tekton cannot express is refused, naming the step and the reason; nothing is approximated. ' +
    'Every document is checked against the Tekton v1 CRD schema before it is written.'
  static override examples = [
    '<%= config.bin %> workflow compile deploy.yaml --target tekton --image registry.example/driftcore-runner:0.1.0',
    '<%= config.bin %> workflow compile config-drift --target tekton --image registry.example/driftcore-runner:0.1.0 --input baseline=prod --out k8s/',
    '<%= config.bin %> workflow compile deploy.yaml --target tekton --image registry.example/driftcore-runner:0.1.0 --server https://driftcore.internal:7800 --json',
  ]
  static override args = {
    file: Args.string({
      description: 'a workflow file, or a name under .driftcore/workflows/ or a pack',
      required: true,
    }),
  }
  static override flags = {
    target: Flags.string({ description: 'the engine to compile for', options: ['tekton'], required: true }),
    image: Flags.string({
      description:
        'the driftcore runner image the tasks run, pinned by tag or digest (see docs/guides/tekton.md)',
      required: true,
    }),
    server: Flags.string({
      description: 'default of the driftcore-server param: the driftcore serve URL tasks call',
    }),
    input: Flags.string({
      char: 'i',
      description:
        'run input for the PipelineRun: k=v (repeatable; v read as JSON when it is), or JSON, @file.json, -',
      multiple: true,
    }),
    out: Flags.string({
      description: 'write <name>-task.yaml, <name>-pipeline.yaml, <name>-pipelinerun.yaml into this folder',
    }),
    'run-name': Flags.string({ description: 'the PipelineRun name (default: generateName <pipeline>-)' }),
    namespace: Flags.string({ description: 'metadata.namespace of every document' }),
    'token-secret': Flags.string({
      description: 'the Secret (key token) holding the task token (default driftcore-task-token)',
    }),
  }

  async run() {
    const kernel = await this.kernel()
    const { compileWorkflow } = await import('../../compile/compile.js')
    const { validateTekton } = await import('../../schema/validate.js')
    const { writeDocuments, yamlDocuments } = await import('../../formatters/documents.js')
    const loaded = await loadWorkflow(kernel, this.args.file)
    const inputs = await readInputs(this.flags.input ?? [], kernel.config.values.limits.max_input_bytes)
    loaded.checkInput(inputs)
    const result = compileWorkflow(loaded.definition, {
      image: this.flags.image,
      inputs,
      route: loaded.route,
      sha256: loaded.sha256,
      ...(this.flags.server ? { server: this.flags.server } : {}),
      ...(this.flags['run-name'] ? { runName: this.flags['run-name'] } : {}),
      ...(this.flags.namespace ? { namespace: this.flags.namespace } : {}),
      ...(this.flags['token-secret'] ? { tokenSecret: this.flags['token-secret'] } : {}),
    })
    const documents = [result.task, result.pipeline, result.pipelineRun]
    const problems = documents.flatMap(validateTekton)
    if (problems.length > 0)
      throw new DriftcoreError(
        'internal',
        `the compiled documents do not match the Tekton v1 schema:\n  ${problems.join('\n  ')}`,
        {
          details: { problems },
          hint: 'this is a bug in the tekton plugin: please report it with the workflow',
        },
      )
    for (const note of result.notes) this.note(`note: ${note}`)
    let files: string[] | undefined
    if (this.flags.out) {
      const out = path.resolve(this.flags.out)
      files = await writeDocuments(
        out,
        kernel.paths.home,
        (result.pipeline.metadata as { name: string }).name,
        documents,
      )
      if (!this.jsonEnabled()) for (const f of files) this.log(f)
    } else if (!this.jsonEnabled()) this.log(yamlDocuments(documents))
    return {
      workflow: loaded.definition.name,
      ...(loaded.file ? { file: loaded.file } : {}),
      target: 'tekton',
      tasks: result.tasks,
      notes: result.notes,
      ...(files ? { files } : {}),
      documents,
    }
  }
}
