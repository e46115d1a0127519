using Capstan.Core;
using Capstan.Core.Commands;

namespace Capstan.Delivery.Apps;

/// <summary>The sentences delivery uses in more than one place, so they read the same everywhere.</summary>
public static class Sentences
{
    /// <summary>"unknown version '1.9.0' of demo — did you mean '1.0.0'? Known versions: 1.0.0, 1.1.0".</summary>
    public static string UnknownVersion(AppSpec app, string version)
    {
        var known = app.VersionOrder;
        var near = Suggest.Nearest(version, known);
        return $"unknown version '{version}' of {app.Name}" + (near is not null ? $" — did you mean '{near}'?" : ".") +
            $" Known versions: {(known.Count == 0 ? "none yet" : string.Join(", ", known))}";
    }

    public static string Ago(TimeSpan t) => t < TimeSpan.FromSeconds(1) ? "just now" : DurationText.Format(t) + " ago";

    public static string Took(TimeSpan t) => t.TotalSeconds < 10 ? $"{t.TotalSeconds:0.0}s" : DurationText.Format(t);
}
