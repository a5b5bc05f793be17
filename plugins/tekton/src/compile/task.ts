/** The params every pipeline task passes to the step Task. */
export const TASK_PARAMS = [
  'step',
  'definition',
  'inputs',
  'upstream',
  'server',
  'token-secret',
  'run-id',
] as const

/**
 * The one Task every step runs: the driftcore runner image, whose entrypoint is the CLI, running
 * `driftcore tekton step`. It evaluates the step's expressions, calls the tool on the driftcore
 * service with the task token (policy, approval and the audit record happen there), and writes
 * two results: `status` (succeeded, skipped) and `output` (the JSON output, or an artifact
 * pointer when it is larger than a Tekton result can hold).
 */
export function stepTask(
  name: string,
  workflow: string,
  image: string,
  labels: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'Task',
    metadata: { name, labels },
    spec: {
      description: `One step of the driftcore workflow ${workflow}, decided and recorded by the driftcore service.`,
      params: [
        { name: 'step', type: 'string', description: 'the step id' },
        { name: 'definition', type: 'string', description: 'the step as the workflow defines it (JSON)' },
        { name: 'inputs', type: 'string', description: 'the run input (JSON)' },
        {
          name: 'upstream',
          type: 'array',
          description: 'id=status:output of each step this one reads',
          default: [],
        },
        { name: 'server', type: 'string', description: 'the driftcore service URL' },
        { name: 'token-secret', type: 'string', description: 'the Secret (key token) with the task token' },
        { name: 'run-id', type: 'string', description: 'the run (the PipelineRun name)' },
      ],
      results: [
        { name: 'status', type: 'string', description: 'succeeded or skipped' },
        {
          name: 'output',
          type: 'string',
          description: 'the step output as JSON, or {"artifact": …} when it is too large for a result',
        },
      ],
      steps: [
        {
          name: 'run',
          image,
          args: [
            'tekton',
            'step',
            '--workflow',
            workflow,
            '--step',
            '$(params.step)',
            '--definition',
            '$(params.definition)',
            '--inputs',
            '$(params.inputs)',
            '--server',
            '$(params.server)',
            '--run-id',
            '$(params.run-id)',
            '--retry-count',
            '$(context.task.retry-count)',
            '--status-file',
            '$(results.status.path)',
            '--output-file',
            '$(results.output.path)',
            // What it reads of earlier steps: id=status:output, one argument each.
            '--',
            '$(params.upstream[*])',
          ],
          env: [
            {
              name: 'DRIFTCORE_MCP_TOKEN',
              valueFrom: { secretKeyRef: { name: '$(params.token-secret)', key: 'token' } },
            },
          ],
          securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  }
}
