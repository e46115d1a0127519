using Capstan.Core.Config;
using Capstan.Core.Git;

namespace Capstan.Core.Tests;

public sealed class PushHookTests
{
    [Fact]
    public async Task The_hook_passes_a_data_folder_path_with_quotes_and_dollars_to_capstan_as_one_word_and_runs_nothing_in_it()
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-hook-" + Guid.NewGuid().ToString("N")[..8]);
        // A folder name a shell would expand or split, if the hook did not quote it.
        var data = Path.Combine(root, "it's $(touch pwned) `touch pwned2` a b");
        var bare = Path.Combine(data, "config.git");
        var clone = Path.Combine(root, "clone");
        Directory.CreateDirectory(data);
        try
        {
            var repo = await ConfigRepo.OpenOrCreateAsync(bare, new Dictionary<string, string> { ["capstan.yaml"] = "x: 1\n" }, CancellationToken.None);
            // Stands in for capstan-server: records the arguments it was given, one per line, and accepts the push.
            var record = Path.Combine(root, "args.txt");
            var recorder = Path.Combine(root, "recorder.sh");
            await File.WriteAllTextAsync(recorder, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> {PushHook.Quote(record)}; done\ncat > /dev/null\nexit 0\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(recorder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Assert.Null(PushHook.Install(bare, [recorder, "check-push", "--data", data]));

            Assert.True((await GitCli.RunAsync(root, ["clone", "--quiet", bare, clone], CancellationToken.None)).Ok);
            await File.WriteAllTextAsync(Path.Combine(clone, "capstan.yaml"), "x: 2\n");
            await GitCli.RunAsync(clone, ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "--quiet", "-am", "x"], CancellationToken.None);
            var push = await GitCli.RunAsync(clone, ["push", "--quiet", "origin", "HEAD:main"], CancellationToken.None);
            Assert.True(push.Ok, push.Error);

            Assert.Equal(["check-push", "--data", data], await File.ReadAllLinesAsync(record));
            Assert.Empty(Directory.EnumerateFiles(root, "pwned*", SearchOption.AllDirectories));
            Assert.Empty(Directory.EnumerateFiles(bare, "pwned*", SearchOption.AllDirectories));
            Assert.NotNull(repo.HeadSha());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task A_pre_receive_hook_that_is_not_capstans_is_kept_and_the_operator_is_told()
    {
        var bare = Path.Combine(Path.GetTempPath(), "capstan-hook-" + Guid.NewGuid().ToString("N")[..8], "config.git");
        try
        {
            await ConfigRepo.OpenOrCreateAsync(bare, new Dictionary<string, string> { ["capstan.yaml"] = "x: 1\n" }, CancellationToken.None);
            var hook = Path.Combine(bare, "hooks", "pre-receive");
            await File.WriteAllTextAsync(hook, "#!/bin/sh\nexit 0\n");
            var said = PushHook.Install(bare, ["/usr/bin/capstan-server", "check-push"]);
            Assert.Contains("is not Capstan's, so it was kept", said);
            Assert.Equal("#!/bin/sh\nexit 0\n", await File.ReadAllTextAsync(hook));

            File.Delete(hook);
            Assert.Null(PushHook.Install(bare, ["/usr/bin/capstan-server", "check-push"]));
            Assert.Null(PushHook.Install(bare, ["/opt/capstan/capstan-server", "check-push"])); // Capstan's own: refreshed
            Assert.Contains("exe='/opt/capstan/capstan-server'", await File.ReadAllTextAsync(hook));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(bare)!, true);
        }
    }
}
