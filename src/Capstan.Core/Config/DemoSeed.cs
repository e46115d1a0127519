using System.Text;

namespace Capstan.Core.Config;

/// <summary>The configuration a brand-new data folder starts with: three people, three environments, two rooms.</summary>
public static class DemoSeed
{
    public static readonly string[] Environments = ["dev", "staging", "prod"];

    public static IReadOnlyDictionary<string, string> Files(IEnumerable<IConfigSection> sections)
    {
        var list = sections.ToList();
        var files = new Dictionary<string, string>(StringComparer.Ordinal) { [ConfigLoader.MainFile] = CapstanYaml(list) };
        foreach (var s in list)
            foreach (var (path, text) in s.Seed)
                files[path] = text;
        return files;
    }

    private static string CapstanYaml(IReadOnlyList<IConfigSection> sections)
    {
        var envs = new StringBuilder();
        foreach (var env in Environments)
        {
            var settings = new List<string>();
            if (env == "prod") settings.Add("protected: true");
            settings.Add($"room: {(env == "prod" ? "ops" : env == "staging" ? "ops" : "dev")}");
            foreach (var s in sections)
                foreach (var (k, v) in s.SeedEnvironment(env))
                    settings.Add($"{k}: {v}");
            envs.Append("  ").Append(env).Append(": { ").Append(string.Join(", ", settings)).Append(" }\n");
        }
        var extra = string.Concat(sections.Select(s => s.SeedMain).OfType<string>().Select(t => "\n" + t.TrimEnd() + "\n"));
        return $$"""
            # Capstan configuration: who may do what, where. Commit and push a change and the running
            # server uses it at once; a change with an error is refused (file:line) and the last good
            # configuration stays in force. Reference: docs/configuration.md.

            defaultRoom: ops

            rooms:
              ops: { topic: "Deploys, status and incidents" }
              dev: { topic: "Development chatter" }

            people:
              alice:
                name: Alice Admin
                roles: [admin]
                email: alice@example.com
                handles: { irc: alice, slack: U0ALICE, matrix: "@alice:localhost" }
              bob:
                name: Bob Builder
                roles: [deployer]
                email: bob@example.com
                handles: { irc: bob }
              carol:
                name: Carol Viewer
                roles: [viewer]
                email: carol@example.com

            roles:
              admin:
                description: Everything, including granting permissions and revoking tokens.
                permissions: ["*"]
              deployer:
                description: Deploys, promotes and rolls back; production needs a second person's approval.
                permissions:
                  - read
                  - deploy
                  - approve
                  - write-config             # commit documents such as postmortems in their name
                  - flow                     # start and finish feature branches, start releases
                                             # (finishing a release or hotfix needs 'release': admins)
                  - lock: { environments: [dev, staging] }
              viewer:
                description: Reads status, history and the ledger.
                permissions: [read]

            # Where Capstan may connect besides the public internet. Runbooks, downloads, webhooks and indicators
            # never reach loopback, link-local or private addresses unless they are listed here (hosts, addresses
            # or networks such as 10.0.0.0/8). The demo apps run on this machine, so the seeded runbook
            # (runbooks/http-check.yaml) may probe them; remove these two when you have no local apps to check.
            egress:
              allow:
                - 127.0.0.1
                - localhost

            environments:
            {{envs.ToString().TrimEnd()}}

            """ + extra;
    }
}
