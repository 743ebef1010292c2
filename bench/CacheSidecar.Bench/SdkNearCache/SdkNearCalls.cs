using System.Diagnostics;
using System.Text.Json;
using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Bench.Load;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using StackExchange.Redis;

namespace CacheSidecar.Bench.SdkNearCache;

/// <summary>
/// The hot-key reads of part 1, each on one key holding the same 1 KB JSON value: in Redis for the direct GETs,
/// in <see cref="SdkNearRig.Namespace"/> (cached in Redis by sidecar A) for the SDK and stub Gets. Each returns
/// false when the answer is not the one the row claims to measure (e.g. a near-cache read that went to the sidecar).
/// </summary>
internal sealed class SdkNearCalls
{
    public const string HotKey = "sdkhot000000";

    private const string RawKey = "bench:sdkraw:000000";

    private static readonly TimeSpan WarmBound = TimeSpan.FromSeconds(30);

    private readonly SdkNearRig _rig;
    private readonly IDatabase _redis;
    private readonly GetRequest _stubGet = new() { Namespace = SdkNearRig.Namespace, Key = HotKey };

    private SdkNearCalls(SdkNearRig rig, IDatabase redis)
    {
        _rig = rig;
        _redis = redis;
    }

    /// <summary>
    /// Writes the value to Redis for the direct GETs, makes the hot key a sidecar cache hit (Put, Get to fill,
    /// Get that must come from the cache), then reads it through the near-cache SDK until memory answers.
    /// </summary>
    public static async Task<SdkNearCalls> PrepareAsync(
        SdkNearRig rig, BackingServers servers, CancellationToken cancellationToken)
    {
        var redis = servers.Redis.GetDatabase();
        await redis.StringSetAsync(RawKey, Payload.JsonValue);
        await Prefill.GetHitKeysAsync(rig.Plain.Raw, SdkNearRig.Namespace, [HotKey], 1, cancellationToken);
        var calls = new SdkNearCalls(rig, redis);
        var waiting = Stopwatch.StartNew();
        while (!await calls.NearGet(0, cancellationToken))
        {
            if (waiting.Elapsed > WarmBound)
            {
                throw new BenchFailedException($"the SDK near cache never answered {HotKey} from memory");
            }
        }

        return calls;
    }

    /// <summary>(a) The SDK's <c>GetAsync&lt;T&gt;</c> answered from this process's near cache.</summary>
    public async ValueTask<bool> NearGet(long sequence, CancellationToken cancellationToken) =>
        await _rig.Near.GetAsync<BenchValue>(SdkNearRig.Namespace, HotKey, cancellationToken)
            is { FromNearCache: true, Value.Padding.Length: > 0 };

    /// <summary>(b) StackExchange.Redis <c>StringGetAsync</c> of the same bytes, not decoded: §9 baseline.</summary>
    public async ValueTask<bool> DirectRedisGet(long sequence, CancellationToken cancellationToken) =>
        (await _redis.StringGetAsync(RawKey)).Length() == Payload.ValueBytes;

    /// <summary>(b') The same GET plus the deserialization <c>GetAsync&lt;T&gt;</c> does: like for like.</summary>
    public async ValueTask<bool> DirectRedisGetDeserialized(long sequence, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> bytes = await _redis.StringGetAsync(RawKey);
        return JsonSerializer.Deserialize<BenchValue>(bytes.Span, BenchValue.Json) is { Padding.Length: > 0 };
    }

    /// <summary>(c) The SDK's <c>GetAsync&lt;T&gt;</c> without a near cache: a sidecar Get, a Redis hit.</summary>
    public async ValueTask<bool> SdkGet(long sequence, CancellationToken cancellationToken) =>
        await _rig.Plain.GetAsync<BenchValue>(SdkNearRig.Namespace, HotKey, cancellationToken)
            is { FromNearCache: false, Source: ValueSource.Cache, Value.Padding.Length: > 0 };

    /// <summary>(d) The generated stub's Get on the same channel as (c): no deserialization, no deadline.</summary>
    public async ValueTask<bool> StubGet(long sequence, CancellationToken cancellationToken) =>
        await _rig.Plain.Raw.GetAsync(_stubGet, cancellationToken: cancellationToken)
            is { Found: true, Source: ValueSource.Cache, Value.Length: Payload.ValueBytes };

    /// <summary>
    /// (e) Only the deserialization every <c>GetAsync&lt;T&gt;</c> does, of the same bytes: the floor under any
    /// typed read, which shows how much of a near-cache hit is the cache itself.
    /// </summary>
    public static ValueTask<bool> DeserializeOnly(long sequence, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JsonSerializer.Deserialize<BenchValue>(Payload.JsonValue, BenchValue.Json)
            is { Padding.Length: > 0 });
}
