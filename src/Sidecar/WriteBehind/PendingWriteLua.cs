using CacheSidecar.Redis;

namespace CacheSidecar.WriteBehind;

/// <summary>
/// The tail every write-behind step shares (a Put or Delete, an Increment), declared once: take the write's
/// version from the Redis server's clock, above every version the step knows of, and record the write —
/// pending record, cache entry (none when the entry TTL is 0), partition log entry. The step's Lua must
/// name its keys as <see cref="EnqueueScript"/> does (entry, lease, generation, pending, log) and have
/// <c>key</c>, <c>g</c>, <c>expiresAt</c> and <c>entryTtl</c> in scope; the snippet leaves the version in
/// <c>vs</c>.
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
        redis.call('HSET', KEYS[4], '{{PendingHash.Version}}', vs, '{{PendingHash.ContentType}}', {{contentType}},
          '{{PendingHash.Data}}', {{data}}, '{{PendingHash.Tombstone}}', {{tombstone}}, '{{PendingHash.Tags}}', {{tags}})
        if tonumber(entryTtl) > 0 then
          -- HSET sets every field an entry has, so no DEL first; the lease dies with the write.
          redis.call('DEL', KEYS[2])
          {{EntryHash.Write("KEYS[1]", "vs", "g", "expiresAt", contentType, data, tombstone, tagGenerations)}}
          redis.call('PEXPIRE', KEYS[1], entryTtl)
        else
          redis.call('DEL', KEYS[1], KEYS[2])
        end
        redis.call('XADD', KEYS[5], '*', '{{LogEntryFields.Key}}', key, '{{LogEntryFields.Version}}', vs)
        """;
}
