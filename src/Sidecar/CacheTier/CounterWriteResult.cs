using CacheSidecar.Core;

namespace CacheSidecar.CacheTier;

/// <summary>
/// A pure-cache Increment's outcome: <see cref="IncrementStatus.Applied"/> with the new value and version,
/// or <see cref="IncrementStatus.NotACounter"/> / <see cref="IncrementStatus.Overflow"/> with nothing written.
/// </summary>
internal readonly record struct CounterWriteResult(IncrementStatus Status, long Value = 0, long Version = 0);
