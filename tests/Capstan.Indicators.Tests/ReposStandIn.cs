using Capstan.Core.Config;

namespace Capstan.Indicators.Tests;

/// <summary>Owns the <c>repos:</c> key in these tests, as the delivery module does in Capstan (indicators only reads its urls).</summary>
public sealed class ReposStandIn : IConfigSection
{
    public IReadOnlyList<string> TopLevelKeys => ["repos"];
    public object Read(ConfigReading reading) => this;
}
