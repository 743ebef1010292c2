using System.Diagnostics;
using System.Globalization;

namespace CacheSidecar.Tests.Scenarios.Consistency;

internal enum OpKind
{
    Get,
    Put,
    Delete,
    Invalidate,
}

/// <summary>
/// One completed call as a client saw it. Times are <see cref="System.Diagnostics.Stopwatch"/>
/// timestamps taken just before the call was sent and just after its answer arrived, so two
/// calls whose intervals do not overlap are ordered in real time.
/// </summary>
/// <param name="Version">Put: the acknowledged etag; Get: the version read (when found).</param>
/// <param name="Value">
/// Put: the value written (also when the call failed: it may have landed, and a read of it tells its version);
/// Get: the value read (when found).
/// </param>
internal sealed record Op(int Client, int Sidecar, OpKind Kind, string Key, long Invoke, long Complete, bool Ok, bool Found, long Version, string? Value, string? Error)
{
    public bool IsWrite => Kind is OpKind.Put or OpKind.Delete;

    /// <summary>This call certainly ended before <paramref name="other"/> started.</summary>
    public bool Precedes(Op other) => Complete < other.Invoke;

    /// <summary>
    /// Times print as seconds on the <see cref="System.Diagnostics.Stopwatch"/> clock, so they can be set
    /// against a fault schedule printed on the same clock (<see cref="Seconds"/>).
    /// </summary>
    public override string ToString() =>
        $"client {Client} via sidecar {Sidecar}: {Kind} {Key}{(Kind == OpKind.Put || Found ? $" v{Version}" : Kind == OpKind.Get ? " (not found)" : string.Empty)}{(Ok ? string.Empty : $" FAILED {Error}")} "
        + $"[{Seconds(Invoke)}..{(Complete == long.MaxValue ? "?" : Seconds(Complete))}]";

    /// <summary>A Stopwatch timestamp as seconds with millisecond precision.</summary>
    public static string Seconds(long timestamp) =>
        (timestamp / (double)Stopwatch.Frequency).ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>What the store and the cache hold for one key once the run is over.</summary>
internal sealed record FinalState(long? StoreVersion, string? StoreValue, CachedState Cache, long CacheVersion);

internal enum CachedState
{
    /// <summary>No usable entry (absent, expired, or from an older generation).</summary>
    None,
    Value,
    Negative,
}
