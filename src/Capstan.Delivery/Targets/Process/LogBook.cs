using System.Collections.Concurrent;
using Capstan.Core.Ledger;
using Capstan.Delivery.Apps;

namespace Capstan.Delivery.Targets.Process;

/// <summary>
/// The output of each slot's processes, one file per app and environment (kept across restarts, rotated at
/// a few MB), with known secrets redacted before anything is written.
/// </summary>
internal sealed class LogBook(string folder, Redactor redactor, TimeProvider clock)
{
    private const long RotateAt = 4 * 1024 * 1024;
    private readonly ConcurrentDictionary<Slot, Lock> _locks = new();

    public string PathOf(Slot slot) => System.IO.Path.Combine(folder, $"{slot.App}.{slot.Environment}.log");

    public void Write(Slot slot, string source, string line)
    {
        var gate = _locks.GetOrAdd(slot, _ => new Lock());
        var text = $"{clock.GetUtcNow():HH:mm:ss.fff} [{source}] {redactor.Redact(line)}\n";
        lock (gate)
        {
            Directory.CreateDirectory(folder);
            var path = PathOf(slot);
            var info = new FileInfo(path);
            if (info.Exists && info.Length > RotateAt) File.Move(path, path + ".1", overwrite: true);
            File.AppendAllText(path, text);
        }
    }

    public IReadOnlyList<string> Tail(Slot slot, int lines)
    {
        var gate = _locks.GetOrAdd(slot, _ => new Lock());
        lock (gate)
        {
            var path = PathOf(slot);
            if (!File.Exists(path)) return [];
            var ring = new Queue<string>(lines + 1);
            foreach (var l in File.ReadLines(path))
            {
                ring.Enqueue(l);
                if (ring.Count > lines) ring.Dequeue();
            }
            return ring.ToList();
        }
    }

    public void Forget(Slot slot) => _locks.TryRemove(slot, out _);
}
