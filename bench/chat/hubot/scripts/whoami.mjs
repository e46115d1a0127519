// The Hubot side of bench/chat: an equivalent of Capstan's `whoami`, answering with a text of
// similar size and shape (person, roles, permissions, chat handles, channel). Like any Hubot script it
// works in memory and records nothing. The trailing "(request N)" lets the driver match replies.
const roles = { Shell: ['deployer'] }
const permissions = { deployer: ['read', 'deploy', 'approve', 'lock (environments dev, staging)'] }

export default (robot) => {
  robot.respond(/whoami(?: (\d+))?$/i, async (res) => {
    const user = res.message.user
    const mine = roles[user.name] ?? []
    const grants = mine.flatMap((r) => permissions[r] ?? [])
    await res.reply([
      `You are ${user.name} (id ${user.id}) <${user.name.toLowerCase()}@example.com>.`,
      `Roles: ${mine.join(', ') || 'none'}`,
      `Permissions: ${grants.join('; ') || 'none'}`,
      `Chat handles: shell: ${user.name}`,
      `Speaking via: ${robot.adapterName} (request ${res.match[1] ?? '-'})`
    ].join('\n'))
  })
}
