using System.Reflection;
using System.Runtime.Loader;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks.Plugins;

/// <summary>A plugin assembly as loaded: its file, the commands it added, or why it was not used.</summary>
public sealed record LoadedPlugin(string File, IReadOnlyList<string> Commands, string? Problem);

/// <summary>
/// Loads C# plugins when Capstan starts: every <c>DATA/plugins/NAME.dll</c> (or <c>DATA/plugins/NAME/NAME.dll</c>
/// with its own dependencies beside it) is loaded in a context of its own that shares Capstan.Core, and each
/// public <see cref="ICommandModule"/> in it registers its commands in the same registry as built-in ones.
/// A plugin that fails to load, or names a command that exists, is skipped and recorded in the ledger.
/// </summary>
public sealed class PluginCommands(DataFolder data, CommandRegistry registry, Ledger ledger) : IHostedService
{
    public string Folder => Path.Combine(data.Root, "plugins");

    public IReadOnlyList<LoadedPlugin> Loaded { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loaded = new List<LoadedPlugin>();
        foreach (var file in Candidates())
        {
            var plugin = Load(file);
            loaded.Add(plugin);
            await ledger.AppendAsync(plugin.Problem is null ? "plugin.loaded" : "plugin.refused", Core.Conversation.Outbox.CapstanAuthor, null, null,
                new { file = Path.GetRelativePath(data.Root, file), commands = plugin.Commands, problem = plugin.Problem });
        }
        Loaded = loaded;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<string> Candidates()
    {
        if (!Directory.Exists(Folder)) yield break;
        foreach (var dll in Directory.EnumerateFiles(Folder, "*.dll").Order(StringComparer.Ordinal)) yield return dll;
        foreach (var dir in Directory.EnumerateDirectories(Folder).Order(StringComparer.Ordinal))
            if (Path.Combine(dir, Path.GetFileName(dir) + ".dll") is var main && File.Exists(main)) yield return main;
    }

    private LoadedPlugin Load(string file)
    {
        Assembly assembly;
        try
        {
            assembly = new PluginContext(file).LoadFromAssemblyPath(Path.GetFullPath(file));
        }
        catch (BadImageFormatException)
        {
            return new(file, [], $"{Path.GetFileName(file)} is not a .NET assembly; build the plugin for net10.0 and copy its dll");
        }
        catch (FileLoadException ex)
        {
            return new(file, [], $"{Path.GetFileName(file)} cannot be loaded: {ex.Message}");
        }
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (Exception ex) when (ex is ReflectionTypeLoadException or FileNotFoundException or TypeLoadException)
        {
            return new(file, [], $"{Path.GetFileName(file)} needs an assembly Capstan does not have ({ex.Message}); put its dependencies beside it in plugins/{Path.GetFileNameWithoutExtension(file)}/");
        }
        var modules = types.Where(t => typeof(ICommandModule).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null).ToList();
        if (modules.Count == 0) return new(file, [], $"{Path.GetFileName(file)} has no public class implementing ICommandModule with a parameterless constructor");
        // Register into a scratch registry first, so a plugin is all-or-nothing and cannot shadow a built-in command.
        var scratch = new CommandRegistry();
        try
        {
            foreach (var type in modules) ((ICommandModule)Activator.CreateInstance(type)!).Register(scratch);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TargetInvocationException or MissingMethodException)
        {
            return new(file, [], $"{Path.GetFileName(file)} failed while registering its commands: {ex.InnerException?.Message ?? ex.Message}");
        }
        var specs = scratch.All.ToList();
        var clash = specs.SelectMany(s => new[] { s.Id }.Concat(s.Aliases)).FirstOrDefault(w => registry.Find(w) is not null);
        if (clash is not null) return new(file, [], $"{Path.GetFileName(file)} declares '{clash}', which is already a command; rename it in the plugin");
        foreach (var spec in specs) registry.Add(spec);
        return new(file, specs.Select(s => s.Id).ToList(), null);
    }

    /// <summary>Loads a plugin's own dependencies from its folder, and everything Capstan has from Capstan.</summary>
    private sealed class PluginContext(string file) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(file))
    {
        private readonly string _folder = Path.GetDirectoryName(Path.GetFullPath(file))!;

        protected override Assembly? Load(AssemblyName name)
        {
            // Shared contracts (Capstan.Core, the framework, packages Capstan ships) come from the default context.
            if (Default.Assemblies.Any(a => a.GetName().Name == name.Name)) return null;
            var local = Path.Combine(_folder, name.Name + ".dll");
            if (File.Exists(local)) return LoadFromAssemblyPath(local);
            return null;
        }
    }
}
