import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/**
 * The `tekton:` config section: which cluster, as whom, and where runs go. The user's kubeconfig
 * holds the credentials; driftcore's config only names the file and the context, so no token is
 * ever in driftcore's config, audit log or output. These keys are protected (see
 * src/config/protected.ts): a `-c`, a DRIFTCORE_TEKTON__* variable or a pack cannot point the
 * user's credentials at another cluster or namespace.
 */
export const tektonConfigSchema = z
  .strictObject({
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .describe('the kubeconfig file (relative to the project); default $KUBECONFIG, then ~/.kube/config'),
    context: z.string().min(1).optional().describe('the kubeconfig context; default: its current-context'),
    namespace: z
      .string()
      .max(63)
      .regex(DNS_LABEL, 'a namespace is a DNS label: lower case letters, digits and -')
      .optional()
      .describe("where PipelineRuns are created and read; default: the context's namespace, else default"),
    image: z
      .string()
      .min(1)
      .optional()
      .describe('the driftcore runner image tasks run (pinned), for workflow run --on tekton'),
    server: z
      .string()
      .url()
      .optional()
      .describe('the driftcore service (driftcore serve) the tasks call, as the cluster reaches it'),
    token_secret: z
      .string()
      .optional()
      .describe('the Kubernetes Secret (key token) holding the task token; default driftcore-task-token'),
    exec_credentials: z
      .enum(['refuse', 'allow'])
      .default('refuse')
      .describe(
        'a kubeconfig user whose credentials come from a program (exec, auth-provider) starts that program outside the launcher; refused unless allow',
      ),
  })
  .prefault({})

export type TektonConfig = z.output<typeof tektonConfigSchema>

/** The section from a tool's effective config. */
export function tektonConfig(config: Readonly<Record<string, unknown>>): TektonConfig {
  return tektonConfigSchema.parse(config.tekton ?? {})
}

/** The kubeconfig files in force: the configured one, else $KUBECONFIG's list, else ~/.kube/config. */
export function kubeconfigFiles(
  config: TektonConfig,
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (config.kubeconfig) return [path.resolve(root, config.kubeconfig)]
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter(Boolean)
  return [path.join(os.homedir(), '.kube', 'config')]
}
