import type { LaunchResult, LaunchSpec, Launcher } from '../launcher/launch.js'
import type { Constraints } from '../policy/constraints.js'
import type { ToolContext } from '../registry/types.js'

/** The variable that names the workflow run a process belongs to. */
export const RUN_ID_ENV = 'DRIFTCORE_RUN_ID'

/**
 * The launcher a handler sees: the call's policy constraints are applied to every process it
 * starts (tighter of tool's and policy's limits), its abort signal reaches the child, and
 * every run leaves a `process.run` audit record with the full log kept as an artifact. Starting
 * a process that may change something begins the call's effects (it uses its approval).
 */
export function boundLauncher(
  launcher: Launcher,
  constraints: Constraints,
  signal: AbortSignal,
  record: (run: Record<string, unknown>) => Promise<void>,
  onSpawn?: (pid: number) => void,
  beginEffects?: () => Promise<void>,
  runId?: string,
): ToolContext['launcher'] {
  return {
    resolve: (file) => launcher.resolve(file),
    async run({
      changesNothing,
      ...spec
    }: Omit<LaunchSpec, 'signal'> & { changesNothing?: boolean }): Promise<LaunchResult> {
      // A program that is not allowed or not installed starts nothing: that call keeps its approval.
      if (!changesNothing && beginEffects) {
        launcher.resolve(spec.file)
        await beginEffects()
      }
      const tighter = (a: number | undefined, b: number | undefined) =>
        a === undefined ? b : b === undefined ? a : Math.min(a, b)
      const result = await launcher.run({
        ...spec,
        // Every process of a run carries its id, so a resume finds the ones a crashed owner left
        // even when their pids never reached the journal (see workflow/runs/process.ts).
        ...(runId ? { env: { ...spec.env, [RUN_ID_ENV]: runId } } : {}),
        signal,
        onSpawn: (pid) => {
          spec.onSpawn?.(pid)
          onSpawn?.(pid)
        },
        timeoutMs: tighter(spec.timeoutMs, constraints.timeout_ms),
        maxOutputBytes: tighter(spec.maxOutputBytes, constraints.max_output_bytes),
        isolation: {
          ...spec.isolation,
          ...(constraints.network === 'none' ? { network: 'none' as const } : {}),
          ...(constraints.deny_paths?.length
            ? { hidePaths: [...(spec.isolation?.hidePaths ?? []), ...constraints.deny_paths] }
            : {}),
        },
        limits: {
          cpuSeconds: tighter(spec.limits?.cpuSeconds, constraints.cpu_seconds),
          memoryBytes: tighter(spec.limits?.memoryBytes, constraints.memory_bytes),
          openFiles: tighter(spec.limits?.openFiles, constraints.open_files),
        },
      })
      await record({
        command: result.command,
        contained: result.contained,
        ...(constraints.network === 'none' || spec.isolation?.network === 'none' ? { network: 'none' } : {}),
        exit_code: result.exitCode,
        signal: result.signal,
        timed_out: result.timedOut,
        cancelled: result.cancelled,
        duration_ms: result.durationMs,
        stdout_truncated: result.stdoutTruncated,
        stderr_truncated: result.stderrTruncated,
        ...(result.logArtifact ? { log: result.logArtifact } : {}),
      })
      return result
    },
  }
}
