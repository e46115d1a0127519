using System.Security.Cryptography;
using Capstan.Delivery.Apps;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery.Targets.Process;

/// <summary>
/// Turns a version's <c>artifact:</c> into a local path for <c>{artifact}</c>: a local file or folder as is
/// (relative paths from the data folder), or a URL downloaded once and kept only when its sha256 matches.
/// </summary>
internal sealed class ArtifactStore(string dataRoot, string cacheFolder, IHttpClientFactory clients) : IDisposable
{
    /// <summary>The named HTTP client of artifact downloads (10 minutes each; registered by AddDelivery).</summary>
    public const string Client = "delivery.artifacts";

    /// <summary>Adds the artifacts' client. The URL comes from an app file in the config repo, which only committers change.</summary>
    public static IHttpClientBuilder Register(IServiceCollection services) =>
        services.AddHttpClient(Client, c => c.Timeout = TimeSpan.FromMinutes(10)).RemoveAllLoggers();

    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<string> ResolveAsync(AppSpec app, VersionSpec version, CancellationToken ct)
    {
        if (version.Artifact is null) return "";
        if (Uri.TryCreate(version.Artifact, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return await DownloadAsync(app, version, uri, ct);
        var path = System.IO.Path.GetFullPath(version.Artifact, dataRoot);
        if (File.Exists(path))
        {
            if (version.Sha256 is { } want && await HashAsync(path, ct) is var got && got != want)
                throw new InvalidDataException($"artifact {path} of {app.Name} {version.Version} has sha256 {got}, but {app.File} expects {want}; the file was changed or the checksum is wrong.");
            return path;
        }
        if (Directory.Exists(path)) return path;
        throw new FileNotFoundException($"artifact {path} of {app.Name} {version.Version} does not exist; fix artifact: in {app.File}.");
    }

    private async Task<string> DownloadAsync(AppSpec app, VersionSpec version, Uri uri, CancellationToken ct)
    {
        var name = System.IO.Path.GetFileName(uri.AbsolutePath);
        if (string.IsNullOrEmpty(name)) name = "artifact";
        var folder = System.IO.Path.Combine(cacheFolder, app.Name, version.Version);
        var path = System.IO.Path.Combine(folder, name);
        await _gate.WaitAsync(ct);
        try
        {
            if (File.Exists(path) && await HashAsync(path, ct) == version.Sha256) return path;
            Directory.CreateDirectory(folder);
            var partial = path + ".partial";
            using (var response = await clients.CreateClient(Client).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct))
            {
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"downloading {uri} for {app.Name} {version.Version} failed: HTTP {(int)response.StatusCode}");
                await using var file = File.Create(partial);
                await response.Content.CopyToAsync(file, ct);
            }
            var got = await HashAsync(partial, ct);
            if (got != version.Sha256)
            {
                File.Delete(partial);
                throw new InvalidDataException($"{uri} has sha256 {got}, but {app.File} expects {version.Sha256}; the download was not kept.");
            }
            File.Move(partial, path, overwrite: true);
            return path;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(s, ct));
    }

    public void Dispose() => _gate.Dispose();
}
