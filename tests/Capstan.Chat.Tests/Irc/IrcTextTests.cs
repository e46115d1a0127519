using System.Text;
using Capstan.Chat.Irc;
using Microsoft.Extensions.Time.Testing;

namespace Capstan.Chat.Tests.Irc;

/// <summary>IRC's wire rules without a server: line budget, UTF-8 boundaries, CR/LF/NUL, masks, accounts, the flood gate.</summary>
public sealed class IrcTextTests
{
    [Fact]
    public void Lines_fit_the_512_bytes_with_the_prefix_the_server_adds_and_never_cut_a_character()
    {
        var mask = "capstan!~capstan@a-rather-long-host-name.example.org";
        var budget = IrcText.Budget(mask, "PRIVMSG", "#ops");
        var text = string.Concat(Enumerable.Repeat("日本語😀é", 300));
        var lines = IrcText.Lines(text, budget);
        Assert.True(lines.Count > 1);
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount($":{mask} PRIVMSG #ops :{l}\r\n") <= 512));
        Assert.All(lines, l => Assert.False(char.IsHighSurrogate(l[^1]) || char.IsLowSurrogate(l[0])));
        Assert.Equal(text, string.Concat(lines));
    }

    [Fact]
    public void CR_LF_and_NUL_in_text_never_become_a_second_command()
    {
        var lines = IrcText.Lines("hello\r\nQUIT :bye\0\rKICK #ops bob", 400);
        Assert.Equal(["hello", "QUIT :byeKICK #ops bob"], lines);
        Assert.All(lines, l => Assert.Equal(-1, l.IndexOfAny(['\r', '\n', '\0'])));
    }

    [Fact]
    public void Formatting_and_CTCP_characters_are_removed_and_room_mentions_defused()
    {
        var markup = new IrcMarkup();
        Assert.Equal("bold red 7 @\u2060here ACTION x\nnext", markup.Escape("\u0002bold\u000f \u00034,12red\u0003 7 @here \u0001ACTION x\u0001\u001d\u0016\u001f\nnext"));
    }

    [Theory]
    [InlineData("bob!*bob@*.example.org", "bob!~bob@laptop.example.org", true)]
    [InlineData("bob!*bob@*.example.org", "bob!~mallory@laptop.example.org", false)]
    [InlineData("bob!*bob@*.example.org", "BOB!~Bob@LAPTOP.example.org", true)]
    [InlineData("b?b!bob@host", "bib!bob@host", true)]
    [InlineData("*!*@10.0.0.*", "anyone!x@10.0.0.7", true)]
    [InlineData("*!*@10.0.0.*", "anyone!x@10.0.1.7", false)]
    public void Masks_match_the_whole_nick_user_host_as_globs(string pattern, string mask, bool matches) =>
        Assert.Equal(matches, IrcMask.Matches(pattern, mask));

    [Fact]
    public void A_bare_handle_is_an_account_and_never_matches_a_nick()
    {
        Assert.False(IrcSession.Identifies("bob", "bob!~bob@host", account: null));
        Assert.False(IrcSession.Identifies("bob", "bob!~bob@host", account: "mallory"));
        Assert.True(IrcSession.Identifies("bob", "robert!~rob@elsewhere", account: "Bob"));
        Assert.True(IrcSession.Identifies("bob!*@host", "bob!~bob@host", account: null));
    }

    [Fact]
    public void The_flood_gate_lets_a_burst_through_then_paces_lines_at_the_rate()
    {
        var clock = new FakeTimeProvider();
        var gate = new FloodGate(burst: 3, perSecond: 2, clock);
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero], Enumerable.Range(0, 3).Select(_ => gate.Reserve()));
        Assert.Equal(TimeSpan.FromSeconds(0.5), gate.Reserve());
        Assert.Equal(TimeSpan.FromSeconds(1), gate.Reserve());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, gate.Reserve());
    }

    [Fact]
    public void Tags_prefix_and_trailing_parameter_are_parsed()
    {
        var m = IrcMessage.Parse("@account=bob;msgid=a\\sb :bob!~bob@host PRIVMSG #ops :!deploy api  now");
        Assert.Equal("bob", m.Tag("account"));
        Assert.Equal("a b", m.Tag("msgid"));
        Assert.Equal("bob", m.Nick);
        Assert.Equal(["#ops", "!deploy api  now"], m.Params);
    }
}
