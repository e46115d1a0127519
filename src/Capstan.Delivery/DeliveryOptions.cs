using System.Reflection;

namespace Capstan.Delivery;

/// <summary>How the delivery module runs on this machine (not configuration in Git: these differ per installation).</summary>
public sealed record DeliveryOptions
{
    /// <summary>The argv that <c>{capstan}</c> expands to: this executable (plus its dll when run through dotnet).</summary>
    public IReadOnlyList<string> CapstanCommand { get; init; } = DefaultCapstanCommand();

    /// <summary>The fallback reconcile interval; config changes and drift wake the reconciler at once.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the process supervisor checks that what it runs still runs.</summary>
    public TimeSpan DriftCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Stop every app when Capstan stops (otherwise they keep running and are adopted at the next start).</summary>
    public bool StopAppsOnShutdown { get; init; }

    /// <summary>How many applies may run at once across all apps.</summary>
    public int MaxParallelApplies { get; init; } = 16;

    public static IReadOnlyList<string> DefaultCapstanCommand()
    {
        var exe = Environment.ProcessPath ?? "capstan";
        var name = Path.GetFileNameWithoutExtension(exe);
        if (name.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && Assembly.GetEntryAssembly()?.Location is { Length: > 0 } dll)
            return [exe, dll];
        return [exe];
    }
}
