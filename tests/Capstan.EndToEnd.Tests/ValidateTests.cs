namespace Capstan.EndToEnd.Tests;

public sealed class ValidateTests
{
    [Fact]
    public async Task Validate_reports_errors_with_file_and_line_and_exits_1()
    {
        var dir = Path.Combine(Path.GetTempPath(), "capstan-validate-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "capstan.yaml"), "people:\n  bob:\n    roles: [deployr]\nroles:\n  deployer:\n    permissions: [read]\n");
            var bad = await CapstanExe.RunAsync("validate", dir);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("capstan.yaml:3:13: unknown role 'deployr' — did you mean 'deployer'?", bad.Output);

            await File.WriteAllTextAsync(Path.Combine(dir, "capstan.yaml"), "people:\n  bob:\n    roles: [deployer]\nroles:\n  deployer:\n    permissions: [read]\n");
            var good = await CapstanExe.RunAsync("validate", dir);
            Assert.Equal(0, good.ExitCode);
            Assert.Contains("Configuration is valid", good.Output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
