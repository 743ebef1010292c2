using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// An entry's expiration as <see cref="IDistributedCache"/> defines it: an optional sliding window and an optional
/// absolute deadline. The sidecar only knows a remaining TTL, so both travel with the value as parameters of its
/// content type (<c>application/vnd.cachesidecar.distributed-cache; sliding=60000; absolute=1767225600000</c>):
/// a Get returns them with the value, a Touch leaves them untouched, and the value bytes stay exactly what the
/// caller stored (decision 0021).
/// </summary>
internal readonly record struct EntryExpiration(TimeSpan? Sliding, DateTimeOffset? Absolute)
{
    /// <summary>The media type of every value written through the distributed cache.</summary>
    public const string MediaType = "application/vnd.cachesidecar.distributed-cache";

    private const string SlidingParameter = "sliding";
    private const string AbsoluteParameter = "absolute";

    private static readonly long MaxMilliseconds = (long)TimeSpan.MaxValue.TotalMilliseconds;

    /// <summary>The sidecar counts TTLs in whole milliseconds; anything shorter is rounded up to this.</summary>
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The expiration <paramref name="options"/> ask for at <paramref name="now"/>. A relative expiration wins over
    /// an absolute one, as in <c>RedisCache</c> and <c>MemoryDistributedCache</c>.
    /// </summary>
    public static EntryExpiration For(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        var absolute = options.AbsoluteExpirationRelativeToNow is { } relative
            ? now + relative
            : options.AbsoluteExpiration;
        return new EntryExpiration(options.SlidingExpiration, absolute);
    }

    /// <summary>
    /// Reads the expiration back from a stored value's content type. A value written by anything else (another
    /// content type, or parameters it cannot read) has none: the sidecar's TTL alone governs it.
    /// </summary>
    public static EntryExpiration Parse(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !string.Equals(media.MediaType, MediaType, StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }

        TimeSpan? sliding = null;
        DateTimeOffset? absolute = null;
        foreach (var parameter in media.Parameters)
        {
            if (!long.TryParse(parameter.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }

            // Out-of-range numbers (another writer's) are ignored like unknown parameters, never thrown on read.
            if (string.Equals(parameter.Name, SlidingParameter, StringComparison.OrdinalIgnoreCase)
                && number > 0 && number <= MaxMilliseconds)
            {
                sliding = TimeSpan.FromMilliseconds(number);
            }
            else if (string.Equals(parameter.Name, AbsoluteParameter, StringComparison.OrdinalIgnoreCase)
                && number <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                absolute = DateTimeOffset.FromUnixTimeMilliseconds(number);
            }
        }

        return new EntryExpiration(sliding, absolute);
    }

    /// <summary>The content type that carries this expiration with the value.</summary>
    public string ToContentType()
    {
        var media = new MediaTypeHeaderValue(MediaType);
        if (Sliding is { } sliding)
        {
            // Rounded up, so a window shorter than the sidecar's resolution is not written as 0 (none).
            var milliseconds = (long)Math.Ceiling(sliding.TotalMilliseconds);
            media.Parameters.Add(new NameValueHeaderValue(SlidingParameter, Invariant(milliseconds)));
        }

        if (Absolute is { } absolute)
        {
            var milliseconds = absolute.ToUnixTimeMilliseconds();
            media.Parameters.Add(new NameValueHeaderValue(AbsoluteParameter, Invariant(milliseconds)));
        }

        return media.ToString();
    }

    /// <summary>True when the absolute deadline has passed: the entry must be neither stored nor served.</summary>
    public bool HasExpiredAt(DateTimeOffset now) => Absolute is { } absolute && absolute - now < Resolution;

    /// <summary>
    /// The TTL a write of the entry starts with: the sliding window, capped by the time left to the absolute
    /// deadline; or just that time; or null (the namespace TTL) when the entry has neither. Never above
    /// <paramref name="maxTtl"/>: a cache may always forget early, and the sidecar refuses longer TTLs.
    /// </summary>
    public TimeSpan? TtlAt(DateTimeOffset now, TimeSpan maxTtl)
    {
        TimeSpan? ttl = Sliding;
        if (Absolute is { } absolute)
        {
            var left = absolute - now;
            ttl = ttl is { } window && window < left ? window : left;
        }

        if (ttl is not { } value)
        {
            return null;
        }

        value = value < Resolution ? Resolution : value;
        return value > maxTtl ? maxTtl : value;
    }

    private static string Invariant(long number) => number.ToString(CultureInfo.InvariantCulture);
}
