using Capstan.Chat.Adapters;
using Capstan.Chat.Text;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;

namespace Capstan.Chat.Tests;

public sealed class TextTests
{
    [Theory]
    [InlineData("!whoami", true, "whoami")]
    [InlineData("capstan: deploy api 1.2 to dev", true, "deploy api 1.2 to dev")]
    [InlineData("Capstan, whoami", true, "whoami")]
    [InlineData("@capstan whoami", true, "whoami")]
    [InlineData("capbot: whoami", true, "whoami")]
    [InlineData("capstans are cool", false, "capstans are cool")]
    [InlineData("! not a command", false, "! not a command")]
    public void A_room_message_is_for_capstan_when_addressed(string text, bool addressed, string command)
    {
        var (a, t) = Addressing.Read(text, ["capbot"]);
        Assert.Equal(addressed, a);
        Assert.Equal(command, t);
    }

    [Theory]
    [InlineData("ping @channel now", "ping @\u2060channel now")]
    [InlineData("@HERE and @room and @everyone", "@\u2060HERE and @\u2060room and @\u2060everyone")]
    [InlineData("mail bob@example.org", "mail bob@example.org")]
    public void Room_wide_mentions_are_defused(string text, string expected) =>
        Assert.Equal(expected, ChatMarkup.DefuseRoomMentions(text));

    [Fact]
    public void A_long_reply_is_split_on_lines_and_cut_with_a_link_after_the_last_part()
    {
        var markup = new PlainMarkup(100);
        var text = string.Join("\n", Enumerable.Range(1, 60).Select(i => $"line {i:00} of a long reply"));
        var m = new RoomMessage("m1", "ops", null, "capstan", AuthorKind.Capstan, text, ReplyTone.Info, DateTimeOffset.UnixEpoch);
        var parts = ChatRendering.Render(m, markup, "https://capstan.example.org/#ops");
        Assert.Equal(markup.MaxParts, parts.Count);
        Assert.All(parts, p => Assert.True(p.Length <= 100, $"a part is {p.Length} characters: {p}"));
        Assert.StartsWith("line 01", parts[0], StringComparison.Ordinal);
        Assert.EndsWith("https://capstan.example.org/#ops)", parts[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(parts, p => p.Split('\n').Any(l => l.Length > 0 && !l.StartsWith("line", StringComparison.Ordinal) && !l.StartsWith('…')));
    }
}
