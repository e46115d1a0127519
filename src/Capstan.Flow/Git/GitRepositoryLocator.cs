using LibGit2Sharp;

namespace Capstan.Flow;

/// <summary>Opens the Git repository that contains a path, with an error that says what to do when there is none.</summary>
public static class GitRepositoryLocator
{
    public static Repository Open(string path)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new FlowException($"The folder '{full}' does not exist. Pass --repo with the path of a Git clone.");
        var found = Repository.Discover(full);
        if (found is null)
            throw new FlowException($"'{full}' is not inside a Git repository. Run the command in a clone or pass --repo DIR.");
        return new Repository(found);
    }
}
