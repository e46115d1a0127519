// The command the benchmark sends: answers with five lines, the shape of Capstan's whoami, so both bots put the same
// number of lines through ngIRCd's per-client throttle.
module.exports = (robot) => {
  robot.respond(/whoami$/i, (res) => {
    const u = res.message.user;
    res.send([`You are ${u.name} (${u.name})`, 'Roles: none', 'Permissions: none', `Chat handles: irc: ${u.name}`, 'Speaking via: irc (irc)'].join('\n'));
  });
};
