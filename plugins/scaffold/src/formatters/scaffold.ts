export interface PlanView {
  module: string
  template: string
  template_source: string
  parts: string[]
  directory: string
  files: { path: string; action: string; bytes: number }[]
  tree: string
  checks: { php_lint: number; yaml: number }
  dry_run: boolean
}

export function formatPlan(plan: PlanView): string {
  const overwritten = plan.files.filter((f) => f.action === 'overwrite').length
  return [
    plan.tree,
    '',
    `${plan.dry_run ? 'would write' : 'wrote'} ${plan.files.length} files${overwritten ? ` (${overwritten} overwritten)` : ''} from template ${plan.template} (${plan.template_source})` +
      `${plan.parts.length ? ` with ${plan.parts.join(', ')}` : ''}`,
    `checked: php -l on ${plan.checks.php_lint} files, ${plan.checks.yaml} YAML files parse`,
  ].join('\n')
}
