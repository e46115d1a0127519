namespace Capstan.Indicators.Dora;

/// <summary>A DORA performance tier a figure falls in, with the band it matched and the report year.</summary>
public sealed record Tier(string Name, string Band, int Year)
{
    public override string ToString() => $"{Name} ({Band}; DORA {Year})";
}

/// <summary>
/// The cluster tables of the Accelerate State of DevOps reports (docs/indicators.md quotes them). Bands are
/// checked best tier first; a value between two bands is named "between X and Y"; past the last band it is
/// "below Low" (frequency) or "beyond Low" (times and rates). Since 2023 the change-fail figure of each cluster is a typical value, not a band: the nearest
/// typical value wins.
/// </summary>
public static class Tiers
{
    private const double Day = 1, Week = 7, Month = 30, SixMonths = 182;

    // A band is [Min, Max) in days (throughput and recovery) or ratio (fail rate).
    private sealed record Band(string Tier, double Min, double Max, string Text);

    // Deployment frequency bands are in deploys per day: higher is better.
    private static readonly Dictionary<int, Band[]> Frequency = new()
    {
        [2019] = [new("Elite", 1, double.MaxValue, "on demand, multiple deploys per day"), new("High", 1 / Week, 1, "between once per day and once per week"), new("Medium", 1 / Month, 1 / Week, "between once per week and once per month"), new("Low", 1 / SixMonths, 1 / Month, "between once per month and once every six months")],
        [2021] = [new("Elite", 1, double.MaxValue, "on demand, multiple deploys per day"), new("High", 1 / Month, 1 / Week, "between once per week and once per month"), new("Medium", 1 / SixMonths, 1 / Month, "between once per month and once every six months"), new("Low", 0, 1 / SixMonths, "fewer than once per six months")],
        [2022] = [new("High", 1, double.MaxValue, "on demand, multiple deploys per day"), new("Medium", 1 / Month, 1 / Week, "between once per week and once per month"), new("Low", 1 / SixMonths, 1 / Month, "between once per month and once every six months")],
        [2023] = [new("Elite", 1, double.MaxValue, "on demand"), new("High", 1 / Week, 1, "between once per day and once per week"), new("Medium", 1 / Month, 1 / Week, "between once per week and once per month")],
        [2024] = [new("Elite", 1, double.MaxValue, "on demand, multiple deploys per day"), new("High", 1 / Week, 1, "between once per day and once per week"), new("Medium", 1 / Month, 1 / Week, "between once per week and once per month"), new("Low", 1 / SixMonths, 1 / Month, "between once per month and once every six months")],
    };

    // Lead time bands are in days: lower is better.
    private static readonly Dictionary<int, Band[]> LeadTime = new()
    {
        [2019] = [new("Elite", 0, Day, "less than one day"), new("High", Day, Week, "between one day and one week"), new("Medium", Week, Month, "between one week and one month"), new("Low", Month, SixMonths, "between one month and six months")],
        [2021] = [new("Elite", 0, 1 / 24.0, "less than one hour"), new("High", Day, Week, "between one day and one week"), new("Medium", Month, SixMonths, "between one month and six months"), new("Low", SixMonths, double.MaxValue, "more than six months")],
        [2022] = [new("High", Day, Week, "between one day and one week"), new("Medium", Week, Month, "between one week and one month"), new("Low", Month, SixMonths, "between one month and six months")],
        [2023] = [new("Elite", 0, Day, "less than one day"), new("High", Day, Week, "between one day and one week"), new("Medium", Week, Month, "between one week and one month")],
        [2024] = [new("Elite", 0, Day, "less than one day"), new("High", Day, Week, "between one day and one week"), new("Medium", Week, Month, "between one week and one month"), new("Low", Month, SixMonths, "between one month and six months")],
    };

    // Recovery (time to restore service before 2023) in days: lower is better.
    private static readonly Dictionary<int, Band[]> Recovery = new()
    {
        [2019] = [new("Elite", 0, 1 / 24.0, "less than one hour"), new("High", 1 / 24.0, Day, "less than one day"), new("Low", Week, Month, "between one week and one month")],
        [2021] = [new("Elite", 0, 1 / 24.0, "less than one hour"), new("High", 1 / 24.0, Day, "less than one day"), new("Medium", Day, Week, "between one day and one week"), new("Low", SixMonths, double.MaxValue, "more than six months")],
        [2022] = [new("High", 0, Day, "less than one day"), new("Medium", Day, Week, "between one day and one week"), new("Low", Week, Month, "between one week and one month")],
        [2023] = [new("Elite", 0, 1 / 24.0, "less than one hour"), new("High", 1 / 24.0, Day, "less than one day"), new("Medium", Day, Week, "between one day and one week"), new("Low", Month, SixMonths, "between one month and six months")],
        [2024] = [new("Elite", 0, 1 / 24.0, "less than one hour"), new("High", 1 / 24.0, Day, "less than one day"), new("Low", Week, Month, "between one week and one month")],
    };

    // Change fail rate bands (2019–2022) as ratios: lower is better.
    private static readonly Dictionary<int, Band[]> FailBands = new()
    {
        [2019] = [new("Elite", 0, 0.155, "0–15%"), new("Low", 0.455, 0.605, "46–60%")],
        [2021] = [new("Elite", 0, 0.155, "0–15%"), new("High/Medium/Low", 0.155, 0.305, "16–30%")], // the 2021 clusters share one band
        [2022] = [new("High", 0, 0.155, "0–15%"), new("Medium", 0.155, 0.305, "16–30%"), new("Low", 0.455, 0.605, "46–60%")],
    };

    // Change fail rate typical values per cluster (2023, 2024).
    private static readonly Dictionary<int, (string Tier, double Value)[]> FailTypical = new()
    {
        [2023] = [("Elite", 0.05), ("High", 0.10), ("Medium", 0.15), ("Low", 0.64)],
        [2024] = [("Elite", 0.05), ("High", 0.20), ("Medium", 0.10), ("Low", 0.40)],
    };

    public static Tier DeploymentFrequency(double perDay, int year) => Higher(Frequency[year], perDay, year);

    public static Tier ChangeLeadTime(TimeSpan median, int year) => Lower(LeadTime[year], median.TotalDays, year);

    public static Tier RecoveryTime(TimeSpan median, int year) => Lower(Recovery[year], median.TotalDays, year);

    public static Tier ChangeFailRate(double ratio, int year)
    {
        if (FailBands.TryGetValue(year, out var bands)) return Lower(bands, ratio, year);
        var nearest = FailTypical[year].OrderBy(t => Math.Abs(t.Value - ratio)).ThenBy(t => t.Value).First();
        return new Tier(nearest.Tier, $"nearest typical value {Numbers.Percent(nearest.Value)}", year);
    }

    /// <summary>What a report year calls the recovery metric (renamed in 2023).</summary>
    public static string RecoveryName(int year) => year >= 2023 ? "failed deployment recovery time" : "time to restore service";

    private static Tier Higher(Band[] bands, double value, int year)
    {
        for (var i = 0; i < bands.Length; i++)
        {
            var b = bands[i];
            if (value >= b.Min && value < b.Max) return new Tier(b.Tier, b.Text, year);
            if (value >= b.Max) return i == 0 ? new Tier(b.Tier, b.Text, year) : Between(bands[i - 1], b, year);
        }
        return new Tier($"below {bands[^1].Tier}", $"less often than {bands[^1].Text}", year);
    }

    private static Tier Lower(Band[] bands, double value, int year)
    {
        for (var i = 0; i < bands.Length; i++)
        {
            var b = bands[i];
            if (value >= b.Min && value < b.Max) return new Tier(b.Tier, b.Text, year);
            if (value < b.Min) return i == 0 ? new Tier(b.Tier, b.Text, year) : Between(bands[i - 1], b, year);
        }
        return new Tier($"beyond {bands[^1].Tier}", $"worse than {bands[^1].Text}", year);
    }

    private static Tier Between(Band better, Band worse, int year) => new($"between {better.Tier} and {worse.Tier}", $"between the bands \"{better.Text}\" and \"{worse.Text}\"", year);
}
