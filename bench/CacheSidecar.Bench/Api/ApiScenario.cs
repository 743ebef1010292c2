using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Api;

/// <summary>One row of the <c>api</c> command, run <see cref="BenchOptions.ApiRepetitions"/> times.</summary>
/// <param name="Name">The row's label in the report.</param>
/// <param name="ItemsPerCall">Keys written per call: above 1 for the BatchPut rows, which then also report items/s.</param>
/// <param name="WriteBehindNamespace">
/// The write-behind namespace the row queues into, or null. After each run of such a row the bench waits
/// for its backlog to drain, so the next run does not share the cores with this one's flushing.
/// </param>
/// <param name="Operation">One call; false (or a throw) when the answer is not the expected one.</param>
internal sealed record ApiScenario(string Name, int ItemsPerCall, string? WriteBehindNamespace, Operation Operation);
