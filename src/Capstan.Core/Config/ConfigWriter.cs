using Capstan.Core.Policy;

namespace Capstan.Core.Config;

/// <summary>What a commit in a person's name needs: the permission the policy must grant them, for which command, environment and room.</summary>
public sealed record CommitGrant(string Permission, string Command, string? Environment = null, string? Room = null);

/// <summary>The outcome of a commit in a person's name: the commit (null when nothing changed), or the sentence saying why nothing was committed.</summary>
public sealed record ConfigWrite(ConfigCommit? Commit, string? Refusal)
{
    public bool Refused => Refusal is not null;
}

/// <summary>
/// Every commit Capstan makes to the config repo on a person's behalf goes through here. The configuration in force
/// at the moment of the commit must grant that person the permission the change names — checked again here, not only
/// when the command was parsed, because an approval can come hours after the request and a role can be taken away in
/// between. A refusal names the missing permission and nothing is committed. The person is the commit's author.
/// </summary>
public sealed class ConfigWriter(ConfigRepo repo, ConfigState config)
{
    /// <summary>The permission to commit documents, such as postmortems, to the config repo in one's own name.</summary>
    public const string WritePermission = "write-config";

    /// <summary>Commits <paramref name="change"/> as <paramref name="personId"/> if the policy grants them <paramref name="needs"/>.</summary>
    public async Task<ConfigWrite> CommitAsync(string personId, CommitGrant needs, ConfigChange change, CancellationToken ct)
    {
        var policy = config.Current.Policy;
        if (!policy.People.TryGetValue(personId, out var person))
            return new(null, $"{personId} is not a person in capstan.yaml, so Capstan commits nothing in their name (it needs permission '{needs.Permission}').");
        var decision = policy.Check(new Actor(person, AccessPolicy.CapstanPlatform, person.Id), needs.Permission, needs.Command, needs.Environment, needs.Room);
        if (!decision.Allowed) return new(null, "Nothing was committed: " + decision.Reason);
        return new(await repo.CommitAsync(change with { Author = AuthorOf(person) }, ct), null);
    }

    /// <summary>How a person appears as a commit's author.</summary>
    public static CommitAuthor AuthorOf(Person p) => new(p.Name, EmailOf(p));

    public static string EmailOf(Person p) => p.Email ?? $"{p.Id}@capstan.local";
}
