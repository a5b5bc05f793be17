import { toConfiguredId, type Hook } from '@oclif/core'
import { closest, distance } from 'fastest-levenshtein'

/**
 * An unknown command: its name, the nearest command if one is close, and where the list is,
 * then exit 127 (the shell's "command not found"). Never a prompt, on a terminal or not: agents
 * drive this CLI through pseudo-terminals, where "Did you mean …? (Y/n)" stalls them, and a
 * script gets the same words a person does.
 */
const hook: Hook<'command_not_found'> = async function ({ config, id }) {
  const visible = config.commands.filter((c) => !c.hidden)
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)]
  const nearest = ids.length > 0 ? closest(id, ids) : undefined
  // Close means a typo or two, not any command at all.
  const close = nearest !== undefined && distance(id, nearest) <= Math.max(2, Math.floor(id.length / 4))
  const topic = id.split(':')[0]!
  const help = `${config.bin} help${config.findTopic(topic) ? ` ${topic}` : ''}`
  this.error(
    `${toConfiguredId(id, config)} is not a ${config.bin} command.` +
      (close ? ` Did you mean ${toConfiguredId(nearest, config)}?` : '') +
      ` Run ${help} for the commands.`,
    { exit: 127 },
  )
}

export default hook
