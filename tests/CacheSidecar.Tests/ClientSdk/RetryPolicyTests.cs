using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// The SDK's retries (<see cref="CacheSidecarClientOptions.ReadRetry"/>): idempotent reads are sent again after
/// <c>UNAVAILABLE</c>, writes and the invalidation stream never are, on the DI path, a channel built with
/// <see cref="CacheSidecarChannel.Create"/>, and a <c>unix:</c> address. A real gRPC server counts the
/// attempts it received, so every assertion is a count, not a timing.
/// </summary>
public sealed class RetryPolicyTests
{
    [Fact]
    public async Task Reads_are_retried_after_unavailable_until_they_succeed()
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 2 });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address);

        var item = await sdk.Client.GetAsync<string>("ns", "key");
        var batch = await sdk.Client.BatchGetAsync<int>("ns", ["a", "b"]);
        var namespaces = await sdk.Client.ListNamespacesAsync();

        Assert.Equal("value", item!.Value);
        Assert.Equal([1, 1], batch.Select(i => i!.Value));
        Assert.Equal("flaky", Assert.Single(namespaces).Name);
        Assert.Equal(3, server.Service.Attempts("Get"));
        Assert.Equal(3, server.Service.Attempts("BatchGet"));
        Assert.Equal(3, server.Service.Attempts("ListNamespaces"));
    }

    [Fact]
    public async Task Writes_are_sent_once_however_the_first_attempt_ends()
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 1 });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address);
        var writes = new (string Method, Func<Task> Call)[]
        {
            ("Put", () => sdk.Client.PutAsync("ns", "key", 1)),
            ("BatchPut", () => sdk.Client.PutManyAsync("ns", [KeyValuePair.Create("key", 1)])),
            ("Delete", () => sdk.Client.DeleteAsync("ns", "key")),
            ("Increment", () => sdk.Client.IncrementAsync("ns", "key")),
            ("Touch", () => sdk.Client.TouchAsync("ns", "key", TimeSpan.FromMinutes(1))),
            ("Invalidate", () => sdk.Client.InvalidateAsync("ns", ["key"])),
            ("InvalidateTags", () => sdk.Client.InvalidateTagsAsync("ns", ["tag"])),
        };

        foreach (var (method, call) in writes)
        {
            var failed = await Assert.ThrowsAsync<CacheSidecarException>(call);
            Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
            Assert.Equal(1, server.Service.Attempts(method));
        }
    }

    [Fact]
    public async Task The_invalidation_stream_is_not_retried_by_the_channel()
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 1 });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address);

        using var watch = sdk.Client.Raw.WatchInvalidations(new WatchInvalidationsRequest { Namespaces = { "ns" } });
        var failed = await Assert.ThrowsAsync<RpcException>(
            () => watch.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
        Assert.Equal(1, server.Service.Attempts("WatchInvalidations"));
    }

    [Fact]
    public async Task A_read_gives_up_after_max_attempts_with_the_last_status()
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 10 });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address, retry => retry.MaxAttempts = 4);

        var failed = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.Client.GetAsync<string>("ns", "key"));

        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
        Assert.Equal(4, server.Service.Attempts("Get"));
    }

    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public async Task Only_unavailable_is_retried(StatusCode status)
    {
        await using var server = await FlakyCacheServer.StartAsync(
            new FlakyCacheService { FailFirst = 1, FailWith = status });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address);

        var failed = await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.Client.GetAsync<string>("ns", "key"));

        Assert.Equal(status, failed.StatusCode);
        Assert.Equal(1, server.Service.Attempts("Get"));
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    public async Task Retries_are_off_when_disabled_or_with_a_single_attempt(bool enabled, int maxAttempts)
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 1 });
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address, retry =>
        {
            retry.Enabled = enabled;
            retry.MaxAttempts = maxAttempts;
        });

        await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.Client.GetAsync<string>("ns", "key"));

        Assert.Equal(1, server.Service.Attempts("Get"));
    }

    [Fact]
    public async Task A_channel_built_without_dependency_injection_retries_reads_and_not_writes()
    {
        await using var server = await FlakyCacheServer.StartAsync(new FlakyCacheService { FailFirst = 2 });
        var options = Sdk.Options(server.Address);
        using var channel = CacheSidecarChannel.Create(options);
        var client = new CacheSidecarClient(new Cache.CacheClient(channel), Options.Create(options));

        Assert.Equal("value", (await client.GetAsync<string>("ns", "key"))!.Value);
        await Assert.ThrowsAsync<CacheSidecarException>(() => client.PutAsync("ns", "key", 1));

        Assert.Equal(3, server.Service.Attempts("Get"));
        Assert.Equal(1, server.Service.Attempts("Put"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Unix_socket_addresses_work_with_retries_on_both_paths()
    {
        await using var server = await FlakyCacheServer.StartAsync(
            new FlakyCacheService { FailFirst = 2 }, unixSocket: true);
        await using var sdk = Sdk.ThroughDependencyInjection(server.Address);
        var options = Sdk.Options(server.Address);
        using var channel = CacheSidecarChannel.Create(options);
        var direct = new CacheSidecarClient(new Cache.CacheClient(channel), Options.Create(options));

        Assert.StartsWith("unix:", server.Address.ToString(), StringComparison.Ordinal);
        Assert.Equal("value", (await sdk.Client.GetAsync<string>("ns", "key"))!.Value);
        Assert.Equal(3, server.Service.Attempts("Get"));
        Assert.Equal("flaky", Assert.Single(await direct.ListNamespacesAsync()).Name);
        Assert.Equal(3, server.Service.Attempts("ListNamespaces"));
        await Assert.ThrowsAsync<CacheSidecarException>(() => sdk.Client.PutAsync("ns", "key", 1));
        Assert.Equal(1, server.Service.Attempts("Put"));
    }

    [Theory]
    [InlineData("MaxAttempts", 0)]
    [InlineData("MaxAttempts", 6)]
    [InlineData("InitialBackoff", 0)]
    [InlineData("MaxBackoff", 1)]
    [InlineData("BackoffMultiplier", 0)]
    public void Out_of_range_settings_are_refused_naming_the_setting(string setting, int value)
    {
        var options = new CacheSidecarClientOptions();
        var retry = options.ReadRetry;
        retry.InitialBackoff = TimeSpan.FromMilliseconds(10);
        switch (setting)
        {
            case "MaxAttempts": retry.MaxAttempts = value; break;
            case "InitialBackoff": retry.InitialBackoff = TimeSpan.FromMilliseconds(value); break;
            case "MaxBackoff": retry.MaxBackoff = TimeSpan.FromMilliseconds(value); break;
            default: retry.BackoffMultiplier = value; break;
        }

        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => CacheSidecarChannel.ServiceConfigFor(options));

        Assert.Equal($"CacheSidecarClientOptions.ReadRetry.{setting}", refused.ParamName);
    }

    /// <summary>A client from <c>AddCacheSidecarClient</c>, and the service provider that owns its channel.</summary>
    private sealed class Sdk(ServiceProvider provider) : IAsyncDisposable
    {
        public CacheSidecarClient Client { get; } = provider.GetRequiredService<CacheSidecarClient>();

        /// <summary>Options with short back-offs: the attempts are counted, so waiting longer proves nothing.</summary>
        public static CacheSidecarClientOptions Options(Uri address, Action<CacheSidecarReadRetryOptions>? retry = null)
        {
            var options = new CacheSidecarClientOptions
            {
                Address = address,
                DefaultDeadline = TimeSpan.FromSeconds(30),
                ReadRetry =
                {
                    InitialBackoff = TimeSpan.FromMilliseconds(1),
                    MaxBackoff = TimeSpan.FromMilliseconds(5),
                },
            };
            retry?.Invoke(options.ReadRetry);
            return options;
        }

        public static Sdk ThroughDependencyInjection(Uri address, Action<CacheSidecarReadRetryOptions>? retry = null)
        {
            var configured = Options(address, retry);
            var services = new ServiceCollection();
            services.AddCacheSidecarClient(o =>
            {
                o.Address = configured.Address;
                o.DefaultDeadline = configured.DefaultDeadline;
                o.ReadRetry = configured.ReadRetry;
            });
            return new Sdk(services.BuildServiceProvider());
        }

        public ValueTask DisposeAsync() => provider.DisposeAsync();
    }
}
