using Capstan.Core.Ledger.Events;
using System.Text.RegularExpressions;
using Capstan.Chat.Adapters;
using Capstan.Chat.Linking;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Capstan.Chat.Tests;

/// <summary>Self-service linking: `link` on a platform gives a one-time code; the person confirms it signed in; the handle is committed to their entry.</summary>
public sealed partial class LinkTests
{
    private const string Platforms = "platforms:\n  fake: { rooms: { ops: C-OPS } }";
    private static string BobOnFake(string yaml) => yaml.Replace("handles: { irc: bob }", "handles: { irc: bob, fake: U-BOB }");

    [GeneratedRegex("[A-Z0-9]{5}-[A-Z0-9]{5}")]
    private static partial Regex Code();

    private static ChatInbound Direct(string handle, string text) =>
        new(Guid.NewGuid().ToString("N"), "D-" + handle, true, new ChatSender(handle, handle), text, "ref-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Writes `link` from a handle in a direct message and returns the code Capstan answered with.</summary>
    private static async Task<string> AskAsync(FakeAdapter adapter, string handle)
    {
        var before = adapter.Posts.Count;
        adapter.Say(Direct(handle, "link"));
        await Eventually.TrueAsync(() => adapter.Posts.Skip(before).Any(p => Code().IsMatch(p.Text)), $"Capstan answers {handle}'s link with a code");
        return Code().Match(adapter.Posts.Skip(before).First(p => Code().IsMatch(p.Text)).Text).Value;
    }

    private static Person Person(ChatNode node, string id) => node.Node.Config.Current.Policy.People[id];

    [Fact]
    public async Task A_guest_links_their_handle_and_their_next_message_is_theirs()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        var code = await AskAsync(fake.Adapter, "U-CAROL");
        Assert.Equal("D-U-CAROL", fake.Adapter.Posts.Single(p => p.Text.Contains(code, StringComparison.Ordinal)).To.Channel);
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.Text.Contains("/link", StringComparison.Ordinal)), "the answer says where to enter the code");
        Assert.DoesNotContain(code, fake.Adapter.Posts.Single(p => p.Text.Contains("/link", StringComparison.Ordinal)).Text, StringComparison.Ordinal);

        var linker = node.Services.GetRequiredService<HandleLinker>();
        var checkedFirst = await linker.CheckAsync(Person(node, "carol"), code, CancellationToken.None);
        Assert.Contains("U-CAROL on fake", checkedFirst.Message, StringComparison.Ordinal);
        var linked = await linker.ConfirmAsync(Person(node, "carol"), code, CancellationToken.None);
        Assert.True(linked.Ok, linked.Message);

        Assert.Equal("U-CAROL", Person(node, "carol").Handles["fake"]);
        var head = node.Node.ConfigRepo.ReadCommit(node.Node.ConfigRepo.HeadSha()!);
        Assert.Equal("Carol Viewer", head.AuthorName);
        var yaml = node.Node.ConfigRepo.ReadFiles(head.Sha)["capstan.yaml"];
        Assert.Contains("fake: \"U-CAROL\"", yaml, StringComparison.Ordinal);
        Assert.Contains("# ", yaml, StringComparison.Ordinal); // the file's comments are kept

        fake.Adapter.Say(Direct("U-CAROL", "whoami"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.Text.Contains("carol", StringComparison.Ordinal) && !Code().IsMatch(p.Text)), "whoami answers as carol");
        var messages = await node.LedgerAsync(LedgerKinds.Message);
        Assert.Equal("carol", messages.Last().Actor);

        var asked = Assert.Single(await node.LedgerAsync(HandleLinkAsked.Kind));
        Assert.Equal("guest:fake:U-CAROL", asked.Actor);
        var confirmed = Assert.Single(await node.LedgerAsync(HandleLinked.Kind));
        Assert.Equal("carol", confirmed.Actor);
        var everything = string.Join("\n", (await node.Node.Ledger.QueryAsync(new LedgerQuery(Limit: 10_000), CancellationToken.None)).Select(e => e.Data));
        Assert.DoesNotContain(code, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(code.Replace("-", "", StringComparison.Ordinal), everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_reused_and_expired_codes_are_refused_and_nothing_is_linked()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var codes = new LinkCodes(node.Node.Database, clock);
        var linker = new HandleLinker(codes, node.Node.ConfigRepo, node.Node.ConfigLoader, node.Node.Reloader, node.Node.Config, node.Node.Ledger);
        var carol = Person(node, "carol");

        var wrong = await linker.ConfirmAsync(carol, "ABCDE-FGHJK", CancellationToken.None);
        Assert.False(wrong.Ok);
        Assert.Contains("not one Capstan gave out", wrong.Message, StringComparison.Ordinal);

        var (code, _) = await codes.IssueAsync("fake", "U-CAROL", CancellationToken.None);
        Assert.True((await linker.ConfirmAsync(carol, code.ToLowerInvariant(), CancellationToken.None)).Ok); // typed in lower case: still the code
        var reused = await linker.ConfirmAsync(Person(node, "alice"), code, CancellationToken.None);
        Assert.False(reused.Ok);
        Assert.Contains("used already", reused.Message, StringComparison.Ordinal);

        var (late, _) = await codes.IssueAsync("fake", "U-DAVE", CancellationToken.None);
        clock.Advance(LinkCodes.Lifetime + TimeSpan.FromSeconds(1));
        var expired = await linker.ConfirmAsync(Person(node, "alice"), late, CancellationToken.None);
        Assert.False(expired.Ok);
        Assert.Contains("expired", expired.Message, StringComparison.Ordinal);

        Assert.False(Person(node, "alice").Handles.ContainsKey("fake"));
        Assert.Equal(3, (await node.LedgerAsync(HandleLinkRefused.Kind)).Count);
    }

    [Fact]
    public async Task A_guest_cannot_take_a_linked_persons_handle_or_link_to_someone_else_and_a_code_said_in_a_room_is_refused()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        var linker = node.Services.GetRequiredService<HandleLinker>();

        // bob's handle asks for a code; mallory (carol here) confirms it: the handle is bob's, so it stays bob's.
        var bobs = await AskAsync(fake.Adapter, "U-BOB");
        var taken = await linker.ConfirmAsync(Person(node, "carol"), bobs, CancellationToken.None);
        Assert.False(taken.Ok);
        Assert.Contains("linked to someone else", taken.Message, StringComparison.Ordinal);
        Assert.Equal("U-BOB", Person(node, "bob").Handles["fake"]);
        Assert.False(Person(node, "carol").Handles.ContainsKey("fake"));

        // `link alice` names nobody: link takes no person, the code links to whoever confirms it.
        var before = fake.Adapter.Posts.Count;
        fake.Adapter.Say(new ChatInbound("d1", "D-U-MALLORY", true, new ChatSender("U-MALLORY", "mallory"), "link alice", "ref-d1"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.To.ThreadRef == "ref-d1"), "Capstan answers `link alice`");
        Assert.DoesNotContain(fake.Adapter.Posts.Skip(before), p => Code().IsMatch(p.Text));
        Assert.False(Person(node, "alice").Handles.ContainsKey("fake"));

        // In a room the code could be read and confirmed by anyone: no code is given there.
        fake.Adapter.Say(new ChatInbound("r1", "C-OPS", false, new ChatSender("U-MALLORY", "mallory"), "!link", "ref-r1"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.To.ThreadRef == "ref-r1"), "Capstan answers link in a room");
        Assert.Contains("direct message", fake.Adapter.Posts.Single(p => p.To.ThreadRef == "ref-r1").Text, StringComparison.Ordinal);
        Assert.DoesNotContain(fake.Adapter.Posts.Skip(before), p => Code().IsMatch(p.Text));

        // Capstan's own platform is not linked.
        var codes = node.Services.GetRequiredService<LinkCodes>();
        var (own, _) = await codes.IssueAsync(AccessPolicy.CapstanPlatform, "alice", CancellationToken.None);
        Assert.False((await linker.ConfirmAsync(Person(node, "carol"), own, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task A_person_id_starting_with_guest_is_refused_by_the_configuration_checks()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms);
        var problem = await node.ConfigureAsync(Platforms, yaml => yaml.Replace("  carol:", "  guest-fake-u-x:", StringComparison.Ordinal));
        Assert.NotNull(problem);
        Assert.Contains(problem.Errors, e => e.Message.Contains("starts with 'guest-'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Adapters_answers_each_adapters_state_to_people_with_read_and_not_to_guests()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        await Eventually.TrueAsync(() => node.Host.Statuses.Any(s => s.State == AdapterState.Connected), "the adapter connects");
        fake.Adapter.Say(new ChatInbound("a1", "C-OPS", false, new ChatSender("U-BOB", "bob"), "!adapters", "ref-a1"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.To.ThreadRef == "ref-a1"), "adapters is answered");
        var answer = fake.Adapter.Posts.Single(p => p.To.ThreadRef == "ref-a1").Text;
        Assert.Contains("1 of 1 chat adapter(s) connected", answer, StringComparison.Ordinal);
        Assert.Contains("fake", answer, StringComparison.Ordinal);
        Assert.Contains("connected (fake server)", answer, StringComparison.Ordinal);

        fake.Adapter.Say(new ChatInbound("a2", "C-OPS", false, new ChatSender("U-NOBODY", "nobody"), "!adapters", "ref-a2"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.To.ThreadRef == "ref-a2"), "the guest is answered");
        Assert.Contains("not linked to anyone", fake.Adapter.Posts.Single(p => p.To.ThreadRef == "ref-a2").Text, StringComparison.Ordinal);
    }
}
