using CacheSidecar.Configuration;
using CacheSidecar.Redis;
using StackExchange.Redis;

namespace CacheSidecar.ChangeStreams;

/// <summary>
/// The lease that makes one instance the watcher of a namespace's change stream, and the resume
/// token it keeps beside it. Both keys share a hash tag, so each step is one atomic Lua call, and
/// the token is only saved by the lease's holder: a watcher that lost its lease (it froze, or was
/// cut off) cannot move the token back under its successor.
/// </summary>
internal sealed class WatcherLease(RedisConnection redis, NamespacePolicy ns, string holder)
{
    // KEYS: lease. ARGV: holder, period ms. Returns 1 held (taken or renewed), 0 held by another.
    private const string AcquireScript = """
        local current = redis.call('GET', KEYS[1])
        if current and current ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    // KEYS: lease, token. ARGV: holder, token. Returns 1 saved, 0 not the holder.
    private const string SaveTokenScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[2], ARGV[2])
        return 1
        """;

    // KEYS: lease, token. ARGV: holder. Returns 1 cleared, 0 not the holder.
    private const string ClearTokenScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[2])
        return 1
        """;

    // KEYS: lease. ARGV: holder. Returns 1 released, 0 not the holder.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    private readonly RedisKey _lease = RedisKeyLayout.WatcherLease(ns);
    private readonly RedisKey _token = RedisKeyLayout.WatcherToken(ns);

    public string Holder => holder;

    /// <summary>Takes the lease if free (or renews it if already ours); false while another holds it.</summary>
    public Task<bool> TryAcquireAsync(CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => (int)await db.ScriptEvaluateAsync(
                    AcquireScript, [_lease], [holder, (long)ns.ChangeStream.LeasePeriod.TotalMilliseconds])
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<string?> ReadTokenAsync(CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => (string?)await db.StringGetAsync(_token).ConfigureAwait(false),
            cancellationToken);

    /// <summary>Saves the token if this instance still holds the lease; false when it lost it.</summary>
    public Task<bool> SaveTokenAsync(string token, CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => (int)await db.ScriptEvaluateAsync(SaveTokenScript, [_lease, _token], [holder, token])
                .ConfigureAwait(false) == 1,
            cancellationToken);

    /// <summary>Forgets the token (history lost: the next watch starts from now), if still the holder.</summary>
    public Task<bool> ClearTokenAsync(CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => (int)await db.ScriptEvaluateAsync(ClearTokenScript, [_lease, _token], [holder])
                .ConfigureAwait(false) == 1,
            cancellationToken);

    /// <summary>Gives the lease up at shutdown, so a standby takes over at once instead of after a period.</summary>
    public Task<bool> ReleaseAsync(CancellationToken cancellationToken) =>
        redis.ExecuteAsync(
            async db => (int)await db.ScriptEvaluateAsync(ReleaseScript, [_lease], [holder])
                .ConfigureAwait(false) == 1,
            cancellationToken);
}
