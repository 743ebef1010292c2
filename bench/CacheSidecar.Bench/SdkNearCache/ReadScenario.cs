using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>One row of part 1: what it reads and how.</summary>
/// <param name="Name">The row's label in the report.</param>
/// <param name="Operation">One read; false when the answer is not the one the row measures.</param>
/// <param name="ThroughSidecar">True when the read is a call to sidecar A (its CPU is then the row's cost too).</param>
internal sealed record ReadScenario(string Name, Operation Operation, bool ThroughSidecar)
{
    public const string NearCache = "(a) SDK `GetAsync<T>`, near-cache hit";
    public const string DirectRedis = "(b) direct Redis `StringGetAsync`";
    public const string DirectRedisDeserialized = "(b') direct Redis `StringGetAsync` + JSON deserialize";
    public const string SdkGet = "(c) SDK `GetAsync<T>`, no near cache (sidecar Get, Redis hit)";
    public const string StubGet = "(d) generated stub `Get` (sidecar Get, Redis hit)";
    public const string DeserializeOnly = "(e) JSON deserialize alone, no I/O";

    /// <summary>Rows in <see cref="All"/>.</summary>
    public const int RowCount = 6;

    /// <summary>Every row, in table order.</summary>
    public static IReadOnlyList<ReadScenario> All(SdkNearCalls calls) =>
    [
        new(NearCache, calls.NearGet, ThroughSidecar: false),
        new(DirectRedis, calls.DirectRedisGet, ThroughSidecar: false),
        new(DirectRedisDeserialized, calls.DirectRedisGetDeserialized, ThroughSidecar: false),
        new(SdkGet, calls.SdkGet, ThroughSidecar: true),
        new(StubGet, calls.StubGet, ThroughSidecar: true),
        new(DeserializeOnly, SdkNearCalls.DeserializeOnly, ThroughSidecar: false),
    ];
}
