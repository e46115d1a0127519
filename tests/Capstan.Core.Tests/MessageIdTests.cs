using Capstan.Core.Conversation;

namespace Capstan.Core.Tests;

public class MessageIdTests
{
    [Fact]
    public async Task Ids_are_unique_under_concurrency_and_sort_in_the_order_they_were_made()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 20_000).Select(_ => MessageIds.Next()).ToList())));
        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.All(all, id => Assert.Matches("^m[0-9a-f]{14}$", id));
        foreach (var b in batches) Assert.Equal(b.Order(StringComparer.Ordinal), b);
    }
}
