using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using CacheSidecar.Client;
using CacheSidecar.Client.NearCache;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// The SDK's in-process near cache between two real sidecar processes (DESIGN §11): the application reads through
/// sidecar A (over its Unix socket) with a near cache fed by A's WatchInvalidations stream; another service writes
/// through sidecar B. Once B's Put has returned, the application stops reading the old value within
/// <see cref="StalenessBound"/>, also right after Redis dropped every pub/sub connection; a killed or restarted
/// sidecar clears the near cache and bypasses it until the stream is back. Windows go to the test output.
/// </summary>
public sealed class SdkNearCacheProcessTests(ITestOutputHelper output)
{
    private const string Namespace = "hot";
    private const int Rounds = 200;
    private const int DisconnectRounds = 20;

    /// <summary>
    /// The stated bound: two heartbeat intervals (the SDK default is 1 s; the longest a silently dead stream goes
    /// unnoticed), which also covers the sidecar's 1 s check for a lost pub/sub message. Normal delivery is one
    /// pub/sub message plus one stream message: milliseconds.
    /// </summary>
    private static readonly TimeSpan StalenessBound = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_a_put_returns_on_another_sidecar_the_sdk_stops_serving_the_old_value_within_the_bound()
    {
        await using var servers = await Servers.StartAsync();
        using var clears = new ClearCounter();
        await using var a = StartSidecar(servers, servers.SocketOfA);
        await using var b = StartSidecar(servers, socket: null);
        await a.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await b.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await using var app = Application(servers.SocketOfA);
        using var channelB = GrpcChannel.ForAddress(b.Address);
        var writer = new Cache.CacheClient(channelB);
        var keys = Enumerable.Range(0, 10).Select(i => TestNamespaces.UniqueKey($"hot{i}")).ToArray();
        foreach (var key in keys)
        {
            await writer.PutJsonAsync(Namespace, key, "0");
        }

        await UntilAsync(() => Task.FromResult(app.NearCache.IsServing(Namespace)));
        var (steady, warmHits) = await MeasureAsync(app.Client, writer, keys, Rounds, beforePut: null);
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{servers.Redis.EndPoint},allowAdmin=true");
        var (afterDisconnect, _) = await MeasureAsync(app.Client, writer, keys, DisconnectRounds, beforePut: () =>
            admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub"));

        output.WriteLine(steady.Describe("SDK near-cache", "steady"));
        output.WriteLine(afterDisconnect.Describe("SDK near-cache", "right after CLIENT KILL TYPE pubsub"));
        output.WriteLine($"near-cache clears by reason: {clears}");
        // Not vacuous: every round read the old value from memory first, and the killed subscriptions reached
        // the SDK as RESET (A lost its subscription and said so).
        Assert.Equal(Rounds, warmHits);
        Assert.True(clears.Count("reset") >= 1, $"no RESET reached the SDK: {clears}");
        Assert.True(steady.Max < StalenessBound, steady.Describe("SDK near-cache", "steady"));
        Assert.True(afterDisconnect.Max < StalenessBound, afterDisconnect.Describe("SDK near-cache", "after disconnect"));
    }

    [Fact]
    public async Task A_restarted_sidecar_clears_and_bypasses_the_near_cache_until_its_stream_is_back()
    {
        await using var servers = await Servers.StartAsync();
        await using var b = StartSidecar(servers, socket: null);
        var a = StartSidecar(servers, servers.SocketOfA);
        await a.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await b.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await using var app = Application(servers.SocketOfA);
        using var channelB = GrpcChannel.ForAddress(b.Address);
        var writer = new Cache.CacheClient(channelB);
        var key = TestNamespaces.UniqueKey("restart");
        await writer.PutJsonAsync(Namespace, key, "\"old\"");
        await UntilAsync(() => Task.FromResult(app.NearCache.IsServing(Namespace)));
        await WarmAsync(app.Client, key);

        a.Kill();
        await a.DisposeAsync();
        await UntilAsync(() => Task.FromResult(!app.NearCache.IsServing(Namespace) && app.NearCache.Count(Namespace) == 0));
        var whileDown = await Assert.ThrowsAsync<CacheSidecarException>(() => app.Client.GetAsync<string>(Namespace, key));
        await writer.PutJsonAsync(Namespace, key, "\"new\"");

        await using var restarted = StartSidecar(servers, servers.SocketOfA);
        await restarted.WaitUntilServingAsync(TestSidecar.ServeTimeout);
        await UntilAsync(() => Task.FromResult(app.NearCache.IsServing(Namespace)));
        var afterRestart = await app.Client.GetAsync<string>(Namespace, key);

        Assert.Equal(StatusCode.Unavailable, whileDown.StatusCode); // not answered from memory
        Assert.Equal("new", afterRestart!.Value);
        await WarmAsync(app.Client, key); // and served from memory again
    }

    private static SidecarProcess StartSidecar(Servers servers, string? socket)
    {
        const string prefix = $"Sidecar__Namespaces__{Namespace}__";
        var environment = new Dictionary<string, string?>
        {
            ["Sidecar__Redis__Configuration"] = servers.Redis.EndPoint,
            ["Sidecar__Mongo__ConnectionString"] = servers.Store.ConnectionString,
            ["Sidecar__Mongo__Database"] = "sdknear",
            [prefix + "Strategy"] = "CacheAside",
            [prefix + "Collection"] = "hot_items",
            [prefix + "PublishInvalidations"] = "true", // no L1 in the sidecar: the SDK's near cache is the only one
        };
        if (socket is not null)
        {
            environment["Kestrel__Endpoints__GrpcUnix__Url"] = $"http://unix:{socket}";
            environment["Kestrel__Endpoints__GrpcUnix__Protocols"] = "Http2";
        }

        return TestSidecar.Start(environment);
    }

    private static Application Application(string socket)
    {
        var services = new ServiceCollection();
        services.AddCacheSidecarClient(o =>
        {
            o.Address = new Uri($"unix:{socket}");
            o.NearCaches[Namespace] = new NearCacheOptions();
        });
        var provider = services.BuildServiceProvider();
        return new Application(provider);
    }

    /// <summary>
    /// Per round: the application reads the key until its near cache answers, B writes a new value, and the
    /// application reads until it sees it. The window runs from B's Put returning to the first read that returned
    /// the new value (an upper bound: it includes that read).
    /// </summary>
    private static async Task<(StalenessWindows Windows, int WarmHits)> MeasureAsync(CacheSidecarClient app, Cache.CacheClient writer, string[] keys,
        int rounds, Func<Task>? beforePut)
    {
        var windows = new List<TimeSpan>();
        var (staleReads, warmHits) = (0, 0);
        for (var round = 1; round <= rounds; round++)
        {
            var key = keys[round % keys.Length];
            warmHits += await WarmAsync(app, key) ? 1 : 0;
            if (beforePut is not null)
            {
                await beforePut();
            }

            var value = round.ToString(CultureInfo.InvariantCulture);
            await writer.PutJsonAsync(Namespace, key, value);
            var clock = Stopwatch.StartNew();
            while ((await app.GetAsync<int>(Namespace, key))!.Value.ToString(CultureInfo.InvariantCulture) != value)
            {
                staleReads++;
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the SDK still served the old value of {key} after 10 s");
            }

            windows.Add(clock.Elapsed);
        }

        return (new StalenessWindows(windows, staleReads, StalenessBound), warmHits);
    }

    /// <summary>Reads until the near cache answers (the first read fills it). True when it did within the bound.</summary>
    private static async Task<bool> WarmAsync(CacheSidecarClient app, string key)
    {
        var clock = Stopwatch.StartNew();
        while (!(await app.GetAsync<object>(Namespace, key))!.FromNearCache)
        {
            Assert.True(clock.Elapsed < Bound, $"the near cache never answered {key}");
        }

        return true;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Bound, $"condition not met within {Bound.TotalSeconds:0} s");
            await Task.Delay(10);
        }
    }

    /// <summary>Redis, the store, and a socket directory for sidecar A, for one test.</summary>
    private sealed class Servers : IAsyncDisposable
    {
        private readonly DirectoryInfo _sockets = Directory.CreateTempSubdirectory("cs-sdknear-");

        private Servers(RedisServerProcess redis, MongoTestTarget store)
        {
            Redis = redis;
            Store = store;
        }

        public RedisServerProcess Redis { get; }

        public MongoTestTarget Store { get; }

        public string SocketOfA => Path.Combine(_sockets.FullName, "a.sock");

        public static async Task<Servers> StartAsync() =>
            new(await RedisServerProcess.StartAsync(), await MongoTestEndpoint.AcquireWireServerAsync());

        public async ValueTask DisposeAsync()
        {
            await Redis.DisposeAsync();
            await Store.DisposeAsync();
            _sockets.Delete(recursive: true);
        }
    }

    /// <summary>Counts the SDK's whole near-cache clears by reason, through its System.Diagnostics.Metrics counter.</summary>
    private sealed class ClearCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, int> _byReason = [];

        public ClearCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "CacheSidecar.Client" && instrument.Name == "cachesidecar.client.near_cache.clears")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason" && tag.Value is string reason)
                    {
                        lock (_byReason)
                        {
                            _byReason[reason] = _byReason.GetValueOrDefault(reason) + (int)value;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public int Count(string reason)
        {
            lock (_byReason)
            {
                return _byReason.GetValueOrDefault(reason);
            }
        }

        public override string ToString()
        {
            lock (_byReason)
            {
                return string.Join(", ", _byReason.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
