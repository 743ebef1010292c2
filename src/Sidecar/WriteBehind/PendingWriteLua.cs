using CacheSidecar.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// The tail every write-behind step shares (a Put or Delete, an Increment), declared once: take the write's
/// version from the Redis server's clock, above every version the step knows of, and record the write —
/// the cache entry, which is also the pending record until the flush (value written once, no expiry;
/// decision 0019), and the partition log entry. The step's Lua must name its keys as
/// <see cref="EnqueueScript"/> does (entry, lease, generation, log) and have <c>key</c>, <c>g</c> and
/// <c>expiresAt</c> in scope; the snippet leaves the version in <c>vs</c>.
/// </summary>
internal static class PendingWriteLua
{
    /// <param name="above">Lua expressions of versions the new one must exceed (nil or '' when unknown).</param>
    public static string Record(string contentType, string data, string tombstone, string tagGenerations,
        string tags, params string[] above) =>
        $$"""
        local t = redis.call('TIME')
        local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
        {{string.Concat(above.Select(a =>
            $"if {a} and {a} ~= '' and tonumber({a}) >= v then v = tonumber({a}) + 1 end\n"))}}
        local vs = string.format('%.0f', v)
        -- HSET sets every field an entry has, so no DEL first; the lease dies with the write.
        redis.call('DEL', KEYS[2])
        {{EntryHash.WritePending("KEYS[1]", "vs", "g", "expiresAt", contentType, data, tombstone, tagGenerations,
            tags)}}
        redis.call('XADD', KEYS[4], '*', '{{LogEntryFields.Key}}', key, '{{LogEntryFields.Version}}', vs)
        """;
}
