namespace CacheSidecar.Strategies;

/// <summary>
/// Fill-lease tokens: unique across every sidecar sharing a Redis. A random per-process prefix
/// plus a counter, rather than a Guid per read: a Guid costs a call into the OS random source on
/// every Get, hits included, and a lease is only taken on a miss.
/// </summary>
internal static class LeaseTokens
{
    private static readonly string ProcessPrefix =
        Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
    private static long _counter;

    public static string Next() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{ProcessPrefix}{Interlocked.Increment(ref _counter):x}");
}
