using System.Collections.Concurrent;
using Capstan.Core;
using Capstan.Core.Git;

namespace Capstan.Indicators.Sources;

/// <summary>A source repo's graph, or why it could not be read (lead time is then unavailable for its apps).</summary>
public sealed record SourceReading(SourceRepository? Repository, string? Problem);

/// <summary>
/// Reads the source repos named in capstan.yaml's <c>repos:</c> with the git CLI: a local path is read in place,
/// a URL through a bare mirror under DATA/work/indicators/NAME.git. Graphs are cached and re-read only when the
/// repo's refs changed, checked at most once per <see cref="IndicatorsOptions.SourceRefresh"/>.
/// </summary>
public sealed class SourceHistory(DataFolder data, IndicatorsOptions options, TimeProvider clock)
{
    private sealed record Cached(string Url, string Refs, SourceReading Reading, long CheckedAt);

    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public async Task<SourceReading> ReadAsync(string name, string url, CancellationToken ct)
    {
        if (_cache.TryGetValue(name, out var c) && c.Url == url && clock.GetElapsedTime(c.CheckedAt) < options.SourceRefresh) return c.Reading;
        var gate = _gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_cache.TryGetValue(name, out c) && c.Url == url && clock.GetElapsedTime(c.CheckedAt) < options.SourceRefresh) return c.Reading;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.SourceTimeout);
            try
            {
                var dir = await LocateAsync(name, url, timeout.Token);
                var refs = await GitAsync(dir, timeout.Token, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/", "refs/tags/");
                if (c is not null && c.Url == url && c.Refs == refs && c.Reading.Repository is not null)
                {
                    _cache[name] = c with { CheckedAt = clock.GetTimestamp() };
                    return c.Reading;
                }
                var log = await GitAsync(dir, timeout.Token, "log", "--all", "--format=%H %ct %P");
                var tags = await GitAsync(dir, timeout.Token, "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags/");
                var reading = new SourceReading(new SourceRepository(name, log, tags), null);
                _cache[name] = new Cached(url, refs, reading, clock.GetTimestamp());
                return reading;
            }
            catch (Exception ex) when (ex is SourceProblem or OperationCanceledException && !ct.IsCancellationRequested)
            {
                var problem = ex is SourceProblem ? ex.Message : $"reading source repo {name} ({url}) took longer than {options.SourceTimeout.TotalSeconds:0}s";
                var reading = new SourceReading(null, problem);
                _cache[name] = new Cached(url, "", reading, clock.GetTimestamp());
                return reading;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> LocateAsync(string name, string url, CancellationToken ct)
    {
        if (Directory.Exists(url)) return url; // a local repo is read where it is, bare or not
        var dir = Path.Combine(data.Work, "indicators", name + ".git");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            var clone = await GitCli.RunAsync(Path.GetDirectoryName(dir)!, ["clone", "--bare", "--quiet", "--", url, dir], ct);
            if (!clone.Ok)
            {
                try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw new SourceProblem($"source repo {name} cannot be reached ({url}: {FirstLine(clone.Error)}); check repos.{name}.url in capstan.yaml");
            }
            return dir;
        }
        var fetch = await GitCli.RunAsync(dir, ["fetch", "--quiet", "--prune", "--tags", "origin", "+refs/heads/*:refs/heads/*"], ct);
        if (!fetch.Ok) throw new SourceProblem($"source repo {name} cannot be reached ({url}: {FirstLine(fetch.Error)}); check repos.{name}.url in capstan.yaml");
        return dir;
    }

    private static async Task<string> GitAsync(string dir, CancellationToken ct, params string[] args)
    {
        var r = await GitCli.RunAsync(dir, args, ct);
        if (!r.Ok) throw new SourceProblem($"git {args[0]} failed in {dir}: {FirstLine(r.Error)}");
        return r.Output;
    }

    private static string FirstLine(string s) => s.Trim().Split('\n')[0].Trim();

    private sealed class SourceProblem(string message) : Exception(message);
}
