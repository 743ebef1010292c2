namespace CacheSidecar.Bench.Alloc;

internal static class AllocCommand
{
    public static Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken) => Task.FromResult(64);
}
