namespace CacheSidecar.Core;

/// <summary>An Increment whose result would not fit in an int64 (OUT_OF_RANGE); the counter is unchanged.</summary>
internal sealed class CounterOverflowException(string key, long delta)
    : Exception($"Adding {delta} to the counter '{key}' would overflow int64; the counter is unchanged.");
