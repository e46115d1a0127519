using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Capstan.Core;
using Capstan.Core.Ledger;
using Capstan.Core.Storage;
using Capstan.Delivery.Apps;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Delivery.Targets.Process;

/// <summary>
/// The built-in supervisor of local processes. Each version runs as its declared argv (never a shell) on a
/// free port of 127.0.0.1 with a small, explicit environment; output goes to a per-slot log file; a deploy
/// starts the new process, waits until it is healthy, then stops the old one (start new → healthy → stop old).
/// Every process is recorded on disk, so after a restart the supervisor adopts what still runs instead of
/// starting a second copy, and a process that dies or is replaced outside Capstan is reported as drift.
/// </summary>
public sealed class ProcessTarget : ITarget, IAsyncDisposable
{
    private static readonly string[] InheritedVariables = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR", "DOTNET_ROOT", "SYSTEMROOT"];
    private readonly ConcurrentDictionary<Slot, SlotProcesses> _slots = new();
    /// <summary>Every process this target started and has not stopped yet, whether or not a slot holds it.</summary>
    private readonly ConcurrentDictionary<Supervised, byte> _started = new();
    private readonly ProcessRecords _records;
    private readonly LogBook _logs;
    private readonly ArtifactStore _artifacts;
    private readonly HealthProbe _probe;
    private readonly TimeProvider _clock;
    private readonly DeliveryOptions _options;
    private readonly string _workRoot;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private Task? _watch;
    private long _adoptedAt;

    public ProcessTarget(DataFolder data, SqliteDatabase db, Redactor redactor, TimeProvider clock, DeliveryOptions options, IHttpClientFactory http, ILogger<ProcessTarget>? log = null)
    {
        _probe = new HealthProbe(http);
        _log = log ?? NullLogger<ProcessTarget>.Instance;
        _clock = clock;
        _options = options;
        var root = Path.Combine(data.Root, "delivery");
        _workRoot = Path.Combine(root, "run");
        _records = new ProcessRecords(db);
        _logs = new LogBook(Path.Combine(root, "logs"), redactor, clock);
        _artifacts = new ArtifactStore(data.Root, Path.Combine(root, "artifacts"), http);
    }

    /// <summary>Where an app this target started listens: the loopback address and the port it was given.</summary>
    public static string UrlOf(int port) => $"http://127.0.0.1:{port}";

    /// <summary>The name environments use for this target (<c>target: process</c>, the default).</summary>
    public const string Name = "process";

    public string Kind => Name;

    public event Action<DriftNotice>? Drifted;

    public IReadOnlyCollection<Slot> Slots => _slots.Where(kv => kv.Value.Current is not null || kv.Value.Candidates.Count > 0).Select(kv => kv.Key).ToList();

    public Task<LiveState?> LiveAsync(Slot slot, CancellationToken ct) => Task.FromResult(Live(slot));

    /// <summary>What runs for a slot, from this target's own bookkeeping (no I/O: the supervisor watches its children).</summary>
    public LiveState? Live(Slot slot) => _slots.TryGetValue(slot, out var s) ? s.Current?.ToLive() : null;

    public async Task AdoptAsync(CancellationToken ct)
    {
        await _records.EnsureAsync(ct);
        var records = await _records.AllAsync(ct);
        foreach (var group in records.GroupBy(r => r.Slot))
        {
            var slot = Get(group.Key);
            var current = group.Where(r => r.Current).OrderByDescending(r => r.StartedAt).FirstOrDefault();
            foreach (var r in group)
            {
                var alive = ProcessIdentity.IsAlive(r.Pid, r.StartMark);
                if (r == current && r.Parked && !alive)
                {
                    // Capstan stopped it when it stopped: the reconciler resumes it, which is neither drift nor a deployment.
                    slot.Current = new Supervised(r, null) { Running = false, Parked = true, Ended = "was stopped when Capstan stopped" };
                }
                else if (r == current)
                {
                    // A current process that died while Capstan was down stays recorded as stopped: that is drift.
                    slot.Current = new Supervised(r, null) { Running = alive, Ended = alive ? null : "was not running when Capstan started" };
                    if (alive) _logs.Write(r.Slot, "capstan", $"adopted {r.App} {r.Version} (pid {r.Pid}, port {r.Port}) after a restart");
                }
                else if (alive && (current is null || r.StartedAt > current.StartedAt))
                {
                    // Started by a deploy that was interrupted: the next deploy of the same version claims it.
                    slot.Candidates.Add(new Supervised(r, null));
                    _logs.Write(r.Slot, "capstan", $"found {r.App} {r.Version} (pid {r.Pid}) from an interrupted deploy");
                }
                else
                {
                    if (alive) await ProcessIdentity.StopAsync(r.Pid, r.StartMark, TimeSpan.FromSeconds(5), _clock);
                    await _records.RemoveAsync(r, ct);
                }
            }
        }
        _adoptedAt = _clock.GetTimestamp();
        _watch ??= Task.Run(() => WatchAsync(_shutdown.Token), CancellationToken.None);
    }

    public async Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct)
    {
        var slot = Get(release.Slot);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        await slot.Gate.WaitAsync(both.Token);
        slot.Deploying = true;
        var started = _clock.GetTimestamp();
        Supervised? candidate = null;
        try
        {
            foreach (var stray in slot.Candidates.Snapshot().Where(c => c.Record.Version != release.Version.Version || c.Record.SpecHash != release.SpecHash || !c.IsAlive()).ToList())
                await RetireAsync(slot, stray);
            if (slot.Current is { Running: true } same && same.Record.Version == release.Version.Version && same.Record.SpecHash == release.SpecHash && same.IsAlive())
                return new DeployOutcome(true, $"{release.Version.Version} already runs (pid {same.Record.Pid})", same.ToLive(), TimeSpan.Zero);
            candidate = slot.Candidates.Snapshot().FirstOrDefault();
            if (candidate is not null)
                progress?.Invoke($"claiming {release.App.Name} {release.Version.Version} (pid {candidate.Record.Pid}) started before Capstan restarted");
            for (var attempt = 1; ; attempt++)
            {
                candidate ??= await StartAsync(release, both.Token);
                var outcome = await WaitHealthyAsync(release, candidate, started, progress, both.Token);
                if (outcome.Healthy)
                {
                    await PromoteAsync(slot, candidate);
                    return outcome with { Instance = candidate.ToLive() };
                }
                var port = candidate.Record.Port;
                await RetireAsync(slot, candidate);
                candidate = null;
                // Someone else may have taken the port between choosing it and the app binding it: try once more.
                if (attempt == 1 && !outcome.Detail.Contains("not healthy within", StringComparison.Ordinal) && !PortIsFree(port))
                {
                    progress?.Invoke($"port {port} was taken by another program; trying another port");
                    continue;
                }
                return outcome;
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Capstan is stopping: leave the candidate running; the next start claims it.
            throw;
        }
        catch (OperationCanceledException)
        {
            if (candidate is not null) await RetireAsync(slot, candidate);
            throw;
        }
        catch (Exception ex) when (ex is Win32Exception or IOException or InvalidDataException or HttpRequestException or UnauthorizedAccessException)
        {
            if (candidate is not null) await RetireAsync(slot, candidate);
            return new DeployOutcome(false, ex.Message, null, _clock.GetElapsedTime(started));
        }
        finally
        {
            slot.Deploying = false;
            slot.Gate.Release();
        }
    }

    public async Task RemoveAsync(Slot slot, CancellationToken ct)
    {
        if (!_slots.TryGetValue(slot, out var s)) return;
        await s.Gate.WaitAsync(ct);
        try
        {
            foreach (var c in s.Candidates.Snapshot()) await RetireAsync(s, c);
            if (s.Current is { } current) { s.Current = null; await RetireAsync(s, current); }
            _logs.Write(slot, "capstan", $"removed {slot}");
        }
        finally
        {
            s.Gate.Release();
        }
    }

    public async Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct)
    {
        if (!_slots.TryGetValue(slot, out var s) || s.Current is not { } current) return new HealthReading(HealthState.Missing, "not running");
        if (!current.Running || !current.IsAlive()) return new HealthReading(HealthState.Missing, current.Ended ?? "not running");
        return await _probe.CheckAsync(current.ToLive().Url, health, ct);
    }

    public Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct) => Task.FromResult(_logs.Tail(slot, lines));

    /// <summary>Stops every supervised process (tests, and servers configured to stop apps on shutdown).</summary>
    /// <remarks>Slots stop side by side, so a shutdown waits for the slowest process, not for the sum of their grace periods.</remarks>
    public async Task StopAllAsync()
    {
        await Task.WhenAll(_slots.Values.Select(async s =>
        {
            foreach (var c in s.Candidates.Snapshot()) await RetireAsync(s, c);
            if (s.Current is { } current) { s.Current = null; await RetireAsync(s, current); }
        }));
        // A process no slot holds (its deploy ended some other way) is still this target's to stop.
        await Task.WhenAll(_started.Keys.Select(p => RetireAsync(Get(p.Record.Slot), p)));
    }

    /// <summary>
    /// Stops watching; processes keep running (and are adopted next time) unless the options say to stop them. Stopped
    /// that way, each slot's current process stays on record as parked, so the next start resumes what ran.
    /// </summary>
    public async Task ShutdownAsync()
    {
        if (_shutdown.IsCancellationRequested) return;
        await _shutdown.CancelAsync();
        if (_watch is not null) await _watch.ContinueWith(_ => { }, TaskScheduler.Default);
        if (_options.StopAppsOnShutdown) await ParkAllAsync();
    }

    private async Task ParkAllAsync()
    {
        await Task.WhenAll(_slots.Values.Select(async s =>
        {
            foreach (var c in s.Candidates.Snapshot()) await RetireAsync(s, c);
            if (s.Current is { Running: true } current)
            {
                s.Current = null;
                await RetireAsync(s, current, park: true);
            }
        }));
        await Task.WhenAll(_started.Keys.Select(p => RetireAsync(Get(p.Record.Slot), p)));
    }

    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync();
        _artifacts.Dispose();
    }

    private SlotProcesses Get(Slot slot) => _slots.GetOrAdd(slot, _ => new SlotProcesses());

    private async Task<Supervised> StartAsync(Release release, CancellationToken ct)
    {
        var app = release.App;
        var slot = release.Slot;
        var artifact = await _artifacts.ResolveAsync(app, release.Version, ct);
        var port = FreePort();
        var workdir = Path.Combine(_workRoot, slot.App, slot.Environment);
        Directory.CreateDirectory(workdir);
        string Render(string text) => text
            .Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{version}", release.Version.Version, StringComparison.Ordinal)
            .Replace("{app}", slot.App, StringComparison.Ordinal)
            .Replace("{env}", slot.Environment, StringComparison.Ordinal)
            .Replace("{artifact}", artifact, StringComparison.Ordinal)
            .Replace("{workdir}", workdir, StringComparison.Ordinal)
            .Replace("{capstan}", _options.CapstanCommand[0], StringComparison.Ordinal);
        var argv = new List<string>();
        foreach (var a in app.Run.Command)
        {
            if (a == "{capstan}") argv.AddRange(_options.CapstanCommand);
            else argv.Add(Render(a));
        }
        // Each app gets its own session (setsid execs the app in place, same pid): Ctrl+C on the terminal running
        // `capstan up` signals the whole foreground process group, and the apps must not die under the supervisor
        // before it has stopped reconciling; Capstan stops them itself, in order.
        List<string> session = SessionStarter is { } setsid ? [setsid, .. argv] : argv;
        var psi = new ProcessStartInfo(session[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workdir,
        };
        foreach (var a in session.Skip(1)) psi.ArgumentList.Add(a);
        var inherited = psi.Environment.Where(kv => InheritedVariables.Contains(kv.Key, StringComparer.OrdinalIgnoreCase)).ToList();
        psi.Environment.Clear();
        foreach (var (k, v) in inherited) psi.Environment[k] = v;
        foreach (var (k, v) in app.Run.Environment) psi.Environment[k] = Render(v);
        psi.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["CAPSTAN_APP"] = slot.App;
        psi.Environment["CAPSTAN_ENV"] = slot.Environment;
        psi.Environment["CAPSTAN_VERSION"] = release.Version.Version;

        var child = new System.Diagnostics.Process { StartInfo = psi, EnableRaisingEvents = true };
        var source = release.Version.Version;
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) _logs.Write(slot, source, e.Data); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) _logs.Write(slot, source + " stderr", e.Data); };
        child.Exited += (_, _) => _wake.Release();
        _logs.Write(slot, "capstan", $"starting {slot.App} {source} on port {port}: {string.Join(' ', argv.Select(Quote))}");
        try
        {
            child.Start();
        }
        catch (Win32Exception ex)
        {
            child.Dispose();
            throw new Win32Exception(ex.NativeErrorCode, $"could not start {argv[0]} for {slot.App} {source}: {ex.Message}. Check run.command in {app.File}.");
        }
        var mark = ProcessIdentity.StartMark(child.Id) ?? "exited";
        var record = new ProcessRecord(slot.App, slot.Environment, source, release.SpecHash, release.Commit, child.Id, mark, port, _clock.GetUtcNow(), false);
        var supervised = new Supervised(record, child);
        _started[supervised] = 0;
        try
        {
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            await _records.AddAsync(record, CancellationToken.None);
        }
        catch (Exception)
        {
            // Started but neither recorded nor handed to the deploy: nothing else would ever stop it.
            await RetireAsync(Get(slot), supervised);
            throw;
        }
        Get(slot).Candidates.Add(supervised);
        return supervised;
    }

    private async Task<DeployOutcome> WaitHealthyAsync(Release release, Supervised candidate, long started, Action<string>? progress, CancellationToken ct)
    {
        var health = release.App.Health;
        var url = candidate.ToLive().Url;
        var last = "";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (!candidate.IsAlive())
            {
                ProcessIdentity.Reap(candidate.Child);
                var code = ProcessIdentity.ExitCode(candidate.Child);
                await Task.Delay(TimeSpan.FromMilliseconds(100), _clock, CancellationToken.None); // let the last output lines arrive
                var tail = _logs.Tail(release.Slot, 6).Where(l => !l.Contains("[capstan]", StringComparison.Ordinal)).ToList();
                return new DeployOutcome(false,
                    $"{release.App.Name} {release.Version.Version} exited{(code is { } c ? $" with code {c}" : "")} after {Sentences.Took(_clock.GetElapsedTime(started))}, before it became healthy" +
                    (tail.Count > 0 ? ". Last output:\n" + string.Join("\n", tail) : ""), null, _clock.GetElapsedTime(started));
            }
            var reading = health.Path is null
                ? (_clock.GetElapsedTime(started) >= TimeSpan.FromSeconds(1) ? new HealthReading(HealthState.Healthy, "running") : new HealthReading(HealthState.Progressing, "starting"))
                : await _probe.CheckAsync(url, health, ct);
            if (reading.State == HealthState.Healthy)
                return new DeployOutcome(true, reading.Detail, null, _clock.GetElapsedTime(started));
            if (reading.Detail != last) { last = reading.Detail; progress?.Invoke(reading.Detail); }
            if (_clock.GetElapsedTime(started) >= health.Deadline)
                return new DeployOutcome(false, $"not healthy within {Sentences.Took(health.Deadline)}: {reading.Detail}", null, _clock.GetElapsedTime(started));
            await Task.Delay(TimeSpan.FromMilliseconds(100), _clock, ct);
        }
    }

    private async Task PromoteAsync(SlotProcesses slot, Supervised candidate)
    {
        await _records.PromoteAsync(candidate.Record, CancellationToken.None);
        var old = slot.Current;
        slot.Candidates.Remove(candidate);
        slot.Current = candidate;
        candidate.Running = true;
        _logs.Write(candidate.Record.Slot, "capstan", $"{candidate.Record.App} {candidate.Record.Version} is healthy (pid {candidate.Record.Pid}, port {candidate.Record.Port})");
        foreach (var other in slot.Candidates.Snapshot()) await RetireAsync(slot, other);
        // The new version serves already: the old one is stopped in the background so the deploy is reported at once.
        // Should Capstan die before it is gone, the next start stops it (an older, non-current record).
        if (old is not null)
            _ = Task.Run(() => RetireAsync(slot, old)).ContinueWith(t => _log.LogError(t.Exception, "Stopping {App} {Version} (pid {Pid}) after its replacement failed; the next start stops it", old.Record.App, old.Record.Version, old.Record.Pid),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private async Task RetireAsync(SlotProcesses slot, Supervised p, bool park = false)
    {
        p.Stopping = true;
        slot.Candidates.Remove(p);
        if (slot.Current == p) slot.Current = null;
        var grace = TimeSpan.FromSeconds(5);
        if (p.IsAlive())
        {
            _logs.Write(p.Record.Slot, "capstan", $"stopping {p.Record.App} {p.Record.Version} (pid {p.Record.Pid})");
            await ProcessIdentity.StopAsync(p.Record.Pid, p.Record.StartMark, grace, _clock);
        }
        ProcessIdentity.Reap(p.Child);
        p.Child?.Dispose();
        _started.TryRemove(p, out _);
        if (park) await _records.ParkAsync(p.Record, CancellationToken.None);
        else await _records.RemoveAsync(p.Record, CancellationToken.None);
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_options.DriftCheckInterval, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var (key, slot) in _slots)
            {
                if (slot.Current is { Running: true, Stopping: false } current && !current.IsAlive())
                {
                    ProcessIdentity.Reap(current.Child);
                    var code = ProcessIdentity.ExitCode(current.Child);
                    current.Running = false;
                    current.Ended = code is { } c ? $"exited with code {c}" : "is no longer running (stopped or replaced outside Capstan)";
                    _logs.Write(key, "capstan", $"{key.App} {current.Record.Version} (pid {current.Record.Pid}) {current.Ended}");
                    try { Drifted?.Invoke(new DriftNotice(key, current.ToLive(), current.Ended)); }
                    catch (Exception ex) { _log.LogWarning(ex, "A listener of {App}'s drift in {Environment} failed; the watch goes on", key.App, key.Environment); } // a failing listener must not stop the watch
                }
                if (!slot.Deploying && slot.Candidates.Count > 0 && _clock.GetElapsedTime(_adoptedAt) > TimeSpan.FromSeconds(15) && slot.Gate.Wait(0))
                {
                    // Left over from an interrupted deploy that no deploy has claimed: nobody wants it.
                    try { foreach (var stray in slot.Candidates.Snapshot()) await RetireAsync(slot, stray); }
                    finally { slot.Gate.Release(); }
                }
            }
        }
    }

    /// <summary>util-linux <c>setsid</c> where there is one (every Linux distribution ships it); null elsewhere.</summary>
    private static readonly string? SessionStarter = OperatingSystem.IsWindows() ? null
        : new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Quote(string a) => a.Length > 0 && !a.Any(char.IsWhiteSpace) ? a : $"\"{a}\"";

    private sealed class SlotProcesses
    {
        public Supervised? Current;
        public readonly LockedList Candidates = new();
        public readonly SemaphoreSlim Gate = new(1, 1);
        public volatile bool Deploying;
    }

    /// <summary>A list shared by deploys, the drift watch and background retirements.</summary>
    private sealed class LockedList
    {
        private readonly List<Supervised> _items = [];

        public int Count { get { lock (_items) return _items.Count; } }
        public void Add(Supervised p) { lock (_items) _items.Add(p); }
        public void Remove(Supervised p) { lock (_items) _items.Remove(p); }
        public List<Supervised> Snapshot() { lock (_items) return [.. _items]; }
    }

    private sealed class Supervised(ProcessRecord record, System.Diagnostics.Process? child)
    {
        public ProcessRecord Record { get; } = record;
        public System.Diagnostics.Process? Child { get; } = child;
        public volatile bool Stopping;
        public bool Running = true;
        public bool Parked;
        public string? Ended;

        public bool IsAlive()
        {
            if (Child is not null)
            {
                try { return !Child.HasExited; }
                catch (InvalidOperationException) { return false; }
            }
            return ProcessIdentity.IsAlive(Record.Pid, Record.StartMark);
        }

        public LiveState ToLive() => new(Record.Slot, Record.Version, Record.SpecHash, Record.Commit, UrlOf(Record.Port), new TargetInstance($"pid {Record.Pid}", Record.Pid),
            Record.StartedAt, Running, Ended, Parked && !Running);
    }
}
