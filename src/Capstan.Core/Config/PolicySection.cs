using Capstan.Core.Policy;
using YamlDotNet.RepresentationModel;

namespace Capstan.Core.Config;

/// <summary>Reads people, roles, environments and rooms from capstan.yaml, checking every reference.</summary>
internal static class PolicySection
{
    public static readonly string[] Keys = ["people", "roles", "environments", "rooms", "defaultRoom"];
    public static readonly string[] EnvironmentKeys = ["protected", "room", "description"];
    private static readonly string[] PersonKeys = ["name", "roles", "handles", "email"];
    private static readonly string[] RoleKeys = ["description", "permissions"];
    private static readonly string[] GrantKeys = ["commands", "environments", "rooms"];

    public static AccessPolicy Read(YamlSource y, YamlMappingNode? root, string[] environmentKeys)
    {
        var rooms = new List<RoomInfo>();
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(root, "rooms"), "rooms")))
        {
            if (!ValidName(name)) { y.Fail(keyNode, $"room name '{name}' must be lower-case letters, digits, '-' or '_'"); continue; }
            var m = y.Map(value, $"room {name}");
            y.OnlyKeys(m, $"room {name}", "topic");
            rooms.Add(new RoomInfo(name, y.Text(y.Get(m, "topic"), $"rooms.{name}.topic") ?? ""));
        }
        var defaultRoomNode = y.Get(root, "defaultRoom");
        var defaultRoom = y.Text(defaultRoomNode, "defaultRoom") ?? "ops";
        if (!rooms.Any(r => r.Name == defaultRoom)) rooms.Insert(0, new RoomInfo(defaultRoom, "Operations"));

        var envs = new List<EnvironmentInfo>();
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(root, "environments"), "environments")))
        {
            if (!ValidName(name)) { y.Fail(keyNode, $"environment name '{name}' must be lower-case letters, digits, '-' or '_'"); continue; }
            var m = y.Map(value, $"environment {name}");
            y.OnlyKeys(m, $"environment {name}", environmentKeys);
            envs.Add(new EnvironmentInfo(name, y.Bool(y.Get(m, "protected"), $"environments.{name}.protected") ?? false,
                y.Text(y.Get(m, "room"), $"environments.{name}.room")));
        }
        var envNames = envs.Select(e => e.Name).ToArray();
        var roomNames = rooms.Select(r => r.Name).ToArray();

        var roles = new List<Role>();
        foreach (var (name, _, value) in y.Entries(y.Map(y.Get(root, "roles"), "roles")))
        {
            var m = y.Map(value, $"role {name}");
            y.OnlyKeys(m, $"role {name}", RoleKeys);
            var grants = new List<Grant>();
            var perms = y.Get(m, "permissions");
            if (perms is YamlSequenceNode seq)
            {
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode s) { grants.Add(new Grant(s.Value ?? "", [], [], [])); continue; }
                    if (item is YamlMappingNode gm && gm.Children.Count == 1)
                    {
                        var (k, v) = gm.Children.First();
                        var permission = ((YamlScalarNode)k).Value ?? "";
                        var limits = y.Map(v, $"permission {permission} of role {name}");
                        y.OnlyKeys(limits, $"permission {permission} of role {name}", GrantKeys);
                        var envList = Checked(y, y.Strings(y.Get(limits, "environments"), "environments"), envNames, "environment");
                        var roomList = Checked(y, y.Strings(y.Get(limits, "rooms"), "rooms"), roomNames, "room");
                        var cmdList = y.Strings(y.Get(limits, "commands"), "commands").Select(c => c.Value).ToList();
                        grants.Add(new Grant(permission, cmdList, envList, roomList));
                        continue;
                    }
                    y.Fail(item, $"each permission of role {name} is a name (deploy) or a name with limits ({{deploy: {{environments: [dev]}}}})");
                }
            }
            else if (perms is not null && !YamlSource.IsNull(perms)) y.Fail(perms, $"permissions of role {name} must be a list");
            roles.Add(new Role(name, y.Text(y.Get(m, "description"), $"roles.{name}.description") ?? "", grants));
        }
        var roleNames = roles.Select(r => r.Name).ToArray();

        var people = new List<Person>();
        foreach (var (id, keyNode, value) in y.Entries(y.Map(y.Get(root, "people"), "people")))
        {
            if (!ValidName(id)) { y.Fail(keyNode, $"person id '{id}' must be lower-case letters, digits, '-' or '_'"); continue; }
            // Guests' direct rooms are dm-guest-PLATFORM-HANDLE (Actor.RoomKey): such a person would share one with a guest.
            if (id.StartsWith("guest-", StringComparison.OrdinalIgnoreCase)) { y.Fail(keyNode, $"person id '{id}' starts with 'guest-', which Capstan keeps for guests' direct rooms; choose another id"); continue; }
            var m = y.Map(value, $"person {id}");
            y.OnlyKeys(m, $"person {id}", PersonKeys);
            var personRoles = Checked(y, y.Strings(y.Get(m, "roles"), $"people.{id}.roles"), roleNames, "role");
            var handles = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (platform, _, h) in y.Entries(y.Map(y.Get(m, "handles"), $"handles of {id}")))
                if (y.Text(h, $"people.{id}.handles.{platform}") is { } handle) handles[platform] = handle;
            people.Add(new Person(id, y.Text(y.Get(m, "name"), $"people.{id}.name") ?? id, personRoles, handles,
                y.Text(y.Get(m, "email"), $"people.{id}.email")));
        }
        return new AccessPolicy(people, roles, envs, rooms, defaultRoom);
    }

    private static List<string> Checked(YamlSource y, List<(string Value, YamlNode Node)> items, string[] known, string what)
    {
        var ok = new List<string>();
        foreach (var (value, node) in items)
        {
            if (known.Contains(value, StringComparer.OrdinalIgnoreCase)) { ok.Add(value); continue; }
            var near = Commands.Suggest.Nearest(value, known);
            y.Fail(node, $"unknown {what} '{value}'" + (near is not null ? $" — did you mean '{near}'?" : "") +
                $" Known {what}s: {(known.Length == 0 ? "none" : string.Join(", ", known))}");
        }
        return ok;
    }

    public static bool ValidName(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.');
}
