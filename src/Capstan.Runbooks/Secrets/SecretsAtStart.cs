using Capstan.Core.Secrets;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks.Secrets;

/// <summary>Registers the secrets file's values with the redactor when Capstan starts, before any runbook runs.</summary>
public sealed class SecretsAtStart(SecretStore secrets) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        secrets.RegisterAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
