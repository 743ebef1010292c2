using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Tests.Scenarios;

/// <summary>
/// The README's run command, as a real process: with no Redis and no MongoDB configured the
/// sidecar starts on its embedded default, says so, and serves a Put then Get through the SDK.
/// </summary>
public sealed class EmbeddedDefaultProcessTests
{
    private sealed record Profile(string Name, int Visits);

    [Fact]
    public async Task With_no_configuration_the_sidecar_starts_embedded_and_serves_the_sdk()
    {
        var sqlite = Path.Combine(Path.GetTempPath(), $"cachesidecar-embedded-{Guid.NewGuid():N}.db");
        await using var sidecar = TestSidecar.Start(new Dictionary<string, string?> { ["Sidecar__Embedded__SqlitePath"] = sqlite });
        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout);

        var services = new ServiceCollection();
        services.AddCacheSidecarClient(options => options.Address = sidecar.Address);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CacheSidecarClient>();
        var key = TestNamespaces.UniqueKey("user");

        var put = await client.PutAsync("users", key, new Profile("ada", 1));
        var first = await client.GetAsync<Profile>("users", key);
        var second = await client.GetAsync<Profile>("users", key);

        Assert.True(put.Persisted);
        Assert.Equal(new Profile("ada", 1), first!.Value);
        Assert.Equal(ValueSource.Store, first.Source);
        Assert.Equal(ValueSource.Cache, second!.Source);
        Assert.Equal(put.ETag, second.ETag);
        Assert.Contains("Embedded default", sidecar.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(sqlite));

        // §7: write-behind cannot be durable in-process, so it says so and behaves as write-through.
        var queued = await client.PutAsync("events", key, new Profile("event", 1));
        Assert.True(queued.Persisted);
        Assert.False(queued.Queued);
        Assert.Contains("Namespace events: write-behind cannot be durable on the in-process cache tier; it behaves as write-through", sidecar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_policy_makes_the_process_refuse_to_start_with_a_message_naming_namespace_and_field()
    {
        await using var sidecar = TestSidecar.Start(new Dictionary<string, string?>
        {
            ["Sidecar__Namespaces__users__Ttl"] = "-00:00:05",
            ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-bad-{Guid.NewGuid():N}.db"),
        });

        var exitCode = await sidecar.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains("Sidecar:Namespaces:users:Ttl must be positive", sidecar.Output, StringComparison.Ordinal);
    }
}
