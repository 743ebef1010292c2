using CacheSidecar.Bench.Infrastructure;

namespace CacheSidecar.Bench.FastPath;

/// <summary>What the fastpath sidecar was started with, and what the build refused.</summary>
/// <param name="NearCache">The L1 namespace <c>l1bench</c> is configured with the near-cache on.</param>
/// <param name="NearCacheSkipped">Why the L1 rows are not measured, or null.</param>
/// <param name="WriteBehind">The write-behind Put namespace is configured.</param>
/// <param name="WriteBehindSkipped">Why the write-behind Put row is not measured, or null.</param>
internal sealed record FastPathConfiguration(bool NearCache, string? NearCacheSkipped, bool WriteBehind, string? WriteBehindSkipped)
{
    /// <summary>The environment of every fastpath sidecar (the measured one and the start-to-ready ones).</summary>
    public Dictionary<string, string> Environment(BackingServers servers)
    {
        var environment = BenchNamespaces.Backends(servers)
            .WithCacheAside(BenchNamespaces.GetHit)
            .WithCacheAside(BenchNamespaces.PutCacheAside)
            .WithWriteThrough(BenchNamespaces.PutWriteThrough)
            .WithTtl(BenchNamespaces.PutTtl, collection: true)
            .WithTtl(BenchNamespaces.PutPureCache, collection: false)
            .WithFlushers(run: true);
        if (NearCache)
        {
            environment.WithCacheAside(BenchNamespaces.NearCacheGet).WithNearCache(BenchNamespaces.NearCacheGet);
        }

        if (WriteBehind)
        {
            environment.WithWriteBehind(BenchNamespaces.PutWriteBehind, batchSize: 500);
        }

        return environment;
    }
}

/// <summary>Starts the one sidecar every fastpath scenario runs against, dropping what the build refuses.</summary>
internal static class FastPathSidecar
{
    public static async Task<(SidecarProcess Sidecar, FastPathConfiguration Configuration)> StartAsync(
        BackingServers servers, NearCacheMode nearCache, CancellationToken cancellationToken)
    {
        var configuration = new FastPathConfiguration(
            NearCache: nearCache != NearCacheMode.Off,
            NearCacheSkipped: nearCache == NearCacheMode.Off ? "switched off (`--l1 off`)" : null,
            WriteBehind: true,
            WriteBehindSkipped: null);
        while (true)
        {
            try
            {
                return (await BenchSidecar.StartAsync("fastpath", configuration.Environment(servers), cancellationToken), configuration);
            }
            catch (SidecarExitedException ex) when (configuration.NearCache && BenchNamespaces.IsNearCacheUnavailable(ex))
            {
                const string reason = "this build has no L1 near-cache (the sidecar refused to start with `NearCache` configuration)";
                Console.WriteLine($"!! {reason}; measuring the other scenarios without it.");
                configuration = configuration with { NearCache = false, NearCacheSkipped = reason };
            }
            catch (SidecarExitedException ex) when (configuration.WriteBehind && BenchNamespaces.IsWriteBehindUnavailable(ex))
            {
                const string reason = "WriteBehind is not available in this build (the sidecar refused to start with it)";
                Console.WriteLine($"!! {reason}; measuring the other scenarios without it.");
                configuration = configuration with { WriteBehind = false, WriteBehindSkipped = reason };
            }
        }
    }
}
