namespace Capstan.Delivery.Reconciliation;

/// <summary>How long a slot waits before trying again an apply that threw: 1 s, doubling per failure in a row, at most 5 min.</summary>
public static class ApplyBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(5);

    public static TimeSpan After(int failures)
    {
        if (failures <= 1) return First;
        var seconds = First.TotalSeconds * Math.Pow(2, Math.Min(failures - 1, 20));
        return seconds >= Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds(seconds);
    }
}
