using Capstan.Core.Jobs;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks.Transfers;

/// <summary>When Capstan starts, carries on the downloads a stop or crash interrupted, in the same job and message.</summary>
public sealed class FetchResumer(JobRunner jobs, Fetcher fetcher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        jobs.ResumeAsync(Fetcher.Kind, job => context => fetcher.RunAsync(FetchPlan.FromJson(job.Resume!), context));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
