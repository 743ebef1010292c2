namespace CacheSidecar.Core;

/// <summary>
/// Versions are hybrid logical clocks: microseconds since the Unix epoch, bumped past the last
/// known version when the clock is behind. They are monotonic per key (every writer takes
/// max(now, last + 1) under a version guard) and survive deletes, because a later write's clock
/// is past every earlier one's. Lua numbers are doubles, exact to 2^53; microsecond timestamps
/// stay below that until the year 2255.
/// </summary>
internal static class Versions
{
    public static long NowMicros(TimeProvider time) =>
        (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static long Next(TimeProvider time, long lastKnown) => Math.Max(NowMicros(time), lastKnown + 1);

    public static string ToEtag(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParseEtag(string etag, out long version) =>
        long.TryParse(
            etag,
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out version)
        && version > 0;
}
