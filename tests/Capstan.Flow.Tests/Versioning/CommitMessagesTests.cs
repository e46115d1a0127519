using System.Text;
using Capstan.Flow.Versioning;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>
/// Messages loaded from the saved graph are searched for "+semver:" without decoding them; that must answer as the
/// decoded string would, or a bump message would be missed (or invented) after a new commit but not on a cold run.
/// </summary>
public class CommitMessagesTests
{
    [Fact]
    public void Searching_saved_messages_answers_as_searching_the_decoded_strings()
    {
        string[] messages =
        [
            "Fix it +semver: minor", "FIX IT +SEMVER: MAJOR", "no bump here", "+semver", "almost +semver; patch",
            "ends with +sem", "", "+SeMvEr:none", "café +semver: patch", "+ſemver: minor (long s folds to S)",
            "++semver: patch", "semver: +semver:",
        ];
        var file = new MemoryStream();
        var starts = new int[messages.Length];
        var lengths = new int[messages.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(messages[i]);
            starts[i] = (int)file.Position;
            lengths[i] = bytes.Length;
            file.Write(bytes);
        }
        var saved = CommitMessages.FromFile(file.ToArray(), starts, lengths);

        for (var i = 0; i < messages.Length; i++)
            Assert.True(messages[i].Contains("+semver:", StringComparison.OrdinalIgnoreCase) == saved.Contains(i, "+semver:"), messages[i]);
        Assert.Equal(messages, Enumerable.Range(0, messages.Length).Select(i => saved[i]));
        Assert.Contains(messages, m => m.Contains("+semver:", StringComparison.OrdinalIgnoreCase));
    }
}
