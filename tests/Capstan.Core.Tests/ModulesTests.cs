using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Tests;

public sealed class ModulesTests
{
    [Fact]
    public async Task Each_module_listed_once_gives_its_sections_commands_services_and_preparation_in_the_lists_order()
    {
        var said = new List<string>();
        var first = new Probe("first", said);
        var second = new Probe("second", said);
        var modules = new CapstanModules([first, new CoreModule(), second]);

        Assert.Equal(["first", "second"], modules.Sections.SelectMany(s => s.TopLevelKeys));
        modules.Register(new CommandRegistry());
        var services = modules.AddServices(new ServiceCollection(), ProcessRole.CommandLine).BuildServiceProvider();
        await modules.PrepareAsync(services, CancellationToken.None);

        Assert.Equal(["first: commands", "second: commands", "first: services for CommandLine", "second: services for CommandLine", "first: prepared", "second: prepared"], said);
        Assert.Equal(["first", "second"], services.GetServices<Probe.Marker>().Select(m => m.Module));
        Assert.Same(modules, services.GetRequiredService<CapstanModules>());
    }

    [Fact]
    public void Two_modules_of_one_name_are_refused_with_a_sentence_naming_both()
    {
        var e = Assert.Throws<ArgumentException>(() => new CapstanModules([new Probe("incidents", []), new CoreModule(), new Probe("Incidents", [])]));
        Assert.StartsWith("Two modules are named 'incidents' (Probe, Probe); each module needs a name of its own.", e.Message);
    }

    /// <summary>A module that says what was asked of it.</summary>
    private sealed class Probe(string name, List<string> said) : ICapstanModule
    {
        public sealed record Marker(string Module);

        public string Name => name;
        public IReadOnlyList<IConfigSection> Sections => [new Section(name)];
        public IReadOnlyList<ICommandModule> Commands => [new Said(() => said.Add($"{name}: commands"))];
        public IReadOnlyList<Type> Events => [];

        public void AddServices(IServiceCollection services, ProcessRole role)
        {
            said.Add($"{name}: services for {role}");
            services.AddSingleton(new Marker(name));
        }

        public Task PrepareAsync(IServiceProvider services, CancellationToken ct)
        {
            said.Add($"{name}: prepared");
            return Task.CompletedTask;
        }

        private sealed class Section(string key) : IConfigSection
        {
            public IReadOnlyList<string> TopLevelKeys => [key];
            public object Read(ConfigReading reading) => key;
        }

        private sealed class Said(Action register) : ICommandModule
        {
            public void Register(CommandRegistry registry) => register();
        }
    }
}
