using Capstan.Core.Config;
using Capstan.Core.Logging;
using Microsoft.Extensions.Logging;

namespace Capstan.Core.Tests;

public sealed class LoggingTests
{
    private static ConfigSnapshot Load(string logging)
    {
        var files = new Dictionary<string, string>(DemoSeed.Files([]));
        files[ConfigLoader.MainFile] += "\n" + logging + "\n";
        return new ConfigLoader([]).Load("c0ffee", DateTimeOffset.UnixEpoch, files);
    }

    [Fact]
    public void The_level_and_category_levels_in_capstan_yaml_decide_what_is_logged()
    {
        var levels = new LogLevels();
        Assert.True(levels.Allows("Capstan.Delivery.Reconciliation.Reconciler", LogLevel.Information));
        Assert.False(levels.Allows("Capstan.Delivery.Reconciliation.Reconciler", LogLevel.Debug));

        levels.Apply(Load("logging: { level: warning, categories: { Capstan.Delivery: debug, Microsoft.AspNetCore.Hosting: information } }").Get<LoggingSettings>());

        Assert.False(levels.Allows("Capstan.Core.Jobs.JobRunner", LogLevel.Information));
        Assert.True(levels.Allows("Capstan.Core.Jobs.JobRunner", LogLevel.Warning));
        Assert.True(levels.Allows("Capstan.Delivery.Reconciliation.Reconciler", LogLevel.Debug));
        Assert.False(levels.Allows("Capstan.DeliveryX", LogLevel.Debug)); // a category is a name and its dotted children
        Assert.True(levels.Allows("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information));
        Assert.False(levels.Allows("Microsoft.AspNetCore.Routing", LogLevel.Information)); // the framework stays at warning
    }

    [Fact]
    public void The_log_level_flag_wins_over_the_level_in_capstan_yaml()
    {
        var levels = new LogLevels(flag: LogLevel.Debug);
        levels.Apply(Load("logging: { level: error, categories: { Capstan.Runbooks: critical } }").Get<LoggingSettings>());

        Assert.Equal(LogLevel.Debug, levels.Level);
        Assert.True(levels.Allows("Capstan.Core.Config.ConfigReloader", LogLevel.Debug));
        Assert.False(levels.Allows("Capstan.Runbooks.Steps.StepRunner", LogLevel.Error)); // a named category still has its own level
    }

    [Fact]
    public async Task A_new_logging_level_pushed_to_the_config_repo_is_applied_without_restart()
    {
        await using var t = await TestNode.StartAsync();
        var levels = new LogLevels();
        levels.Follow(t.Node.Config);
        Assert.Equal(LogLevel.Information, levels.Level);

        await t.PushConfigAsync(yaml => yaml + "\nlogging: { level: debug }\n");

        Assert.Equal(LogLevel.Debug, levels.Level);
    }

    [Theory]
    [InlineData("logging: { level: verbose }", "logging.level must be one of trace, debug, information, warning, error, critical, none, not 'verbose'")]
    [InlineData("logging: { categories: { Capstan.Delivery: debugg } }", "not 'debugg' — did you mean 'debug'?")]
    [InlineData("logging: { levle: debug }", "unknown key 'levle' in logging — did you mean 'level'?")]
    public void A_logging_setting_that_is_not_valid_is_refused_with_file_and_line(string logging, string what)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(logging));
        var error = Assert.Single(ex.Errors);
        Assert.StartsWith("capstan.yaml:", error.ToString(), StringComparison.Ordinal);
        Assert.True(error.Line > 0);
        Assert.Contains(what, error.ToString());
    }
}
