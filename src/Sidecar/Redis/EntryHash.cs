using StackExchange.Redis;

namespace CacheSidecar.Redis;

/// <summary>
/// The fields of an entry hash (<c>cs:{ns:p}:e:&lt;key&gt;</c>), declared once: every Lua step and
/// the Get-hit read use these names. An entry counts only while its <see cref="Generation"/> equals
/// the partition's generation.
/// </summary>
internal static class EntryHash
{
    public const string Version = "v";
    public const string Generation = "g";

    /// <summary>When the value stops being fresh (unix ms, logical TTL; see decision 0003).</summary>
    public const string ExpiresAt = "x";

    public const string ContentType = "c";
    public const string Data = "d";

    /// <summary>"1" for a cached "not found" or a tombstone, else "0".</summary>
    public const string Negative = "n";

    /// <summary>
    /// The entry's tags with the generation each had when the entry was written ("tag\ngen\ntag\ngen…",
    /// <see cref="TagGenerations"/>); empty when untagged. The entry counts only while every one is current.
    /// </summary>
    public const string Tags = "t";

    /// <summary>The generation of a version floor: partitions' generations start at 0 and only grow.</summary>
    public const string FloorGeneration = "-1";

    /// <summary>Every field, in the order <see cref="ReadAll"/> and the Lookup step read them.</summary>
    public static readonly RedisValue[] AllFields = [Version, Generation, ExpiresAt, ContentType, Data, Negative, Tags];

    /// <summary>Lua: <c>HMGET</c> of every field of <paramref name="key"/>, in <see cref="AllFields"/> order.</summary>
    public static string ReadAll(string key) =>
        $"redis.call('HMGET', {key}, '{Version}', '{Generation}', '{ExpiresAt}', "
        + $"'{ContentType}', '{Data}', '{Negative}', '{Tags}')";

    /// <summary>
    /// Lua: replaces <paramref name="key"/> with a version floor (see <c>CacheTier.VersionFloor</c>):
    /// only the version, under a generation no partition has, for as long as the key had left or at
    /// least <paramref name="minTtlMs"/>. An entry that is also a write-behind pending record
    /// (<see cref="PendingHash.Marker"/>) keeps its value and version and only takes the floor's generation:
    /// no cache read serves it any more, but reads of pending writes and the flusher still find it; the
    /// flusher turns it into a floor once the store holds it.
    /// </summary>
    public static string WriteFloor(string key, string version, string minTtlMs) =>
        $"if redis.call('HGET', {key}, '{PendingHash.Marker}') == '1' then "
        + $"redis.call('HSET', {key}, '{Generation}', '{FloorGeneration}') else "
        + $"local floorTtl = math.max(redis.call('PTTL', {key}), tonumber({minTtlMs})) "
        + $"redis.call('DEL', {key}) "
        + $"redis.call('HSET', {key}, '{Version}', {version}, '{Generation}', '{FloorGeneration}') "
        + $"redis.call('PEXPIRE', {key}, floorTtl) end";

    /// <summary>
    /// Lua: sets every field of a write-behind write on <paramref name="key"/>, marks it pending and removes
    /// its expiry (each argument a Lua expression). Claims of an older version stay: the flusher that holds
    /// one releases it when it finds the version changed.
    /// </summary>
    public static string WritePending(string key, string version, string generation, string expiresAt,
        string contentType, string data, string tombstone, string tagGenerations, string storeTags) =>
        Write(key, version, generation, expiresAt, contentType, data, tombstone, tagGenerations,
            $"'{PendingHash.Marker}', '1', '{PendingHash.Tags}', {storeTags}")
        + $" redis.call('PERSIST', {key})";

    /// <summary>
    /// Lua: sets every field of <paramref name="key"/> (each argument a Lua expression), and
    /// <paramref name="moreFields"/> (Lua "field, value" pairs) in the same <c>HSET</c>.
    /// </summary>
    public static string Write(string key, string version, string generation, string expiresAt, string contentType,
        string data, string negative, string tags, string moreFields = "") =>
        $"redis.call('HSET', {key}, '{Version}', {version}, '{Generation}', {generation}, '{ExpiresAt}', {expiresAt}, "
        + $"'{ContentType}', {contentType}, '{Data}', {data}, '{Negative}', {negative}, '{Tags}', {tags}"
        + (moreFields.Length == 0 ? ")" : $", {moreFields})");
}
