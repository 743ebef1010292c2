namespace CacheSidecar.Tests.Scenarios.Consistency;

/// <summary>
/// The rule a <see cref="Violation"/> breaks. Fault tests assert on some rules only (an asymmetric partition
/// is allowed bounded staleness, never a lost write), so each violation says which rule it is.
/// </summary>
internal enum CheckRule
{
    /// <summary>A call failed although no fault was injected.</summary>
    FailedCall,

    /// <summary>A read returned a value no Put wrote, or not with that version, or before its Put began.</summary>
    ReadsAreWrites,

    /// <summary>A read went back behind a version another read returned before it began, or behind a Delete.</summary>
    NoRegression,

    /// <summary>A client did not read its own acknowledged write.</summary>
    ReadYourWrites,

    /// <summary>The store lacks, or went back behind, an acknowledged write at the end.</summary>
    LostWrite,

    /// <summary>A live cache entry disagrees with the store at the end.</summary>
    CacheEqualsStore,

    /// <summary>A read missed a write that finished before it began, by more than the allowed staleness.</summary>
    Freshness,
}
