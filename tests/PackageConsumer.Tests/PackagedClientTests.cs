using System.Text.Json;
using CacheSidecar.Client;
using CacheSidecar.Contracts.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSidecar.PackageConsumer.Tests;

/// <summary>
/// The packaged client against a real sidecar process: what an application gets from
/// <c>dotnet add package CacheSidecar.Client</c>, through both ways of making a client.
/// </summary>
public sealed class PackagedClientTests(EmbeddedSidecarFixture sidecar) : IClassFixture<EmbeddedSidecarFixture>
{
    private sealed record Profile(string Name, int Visits);

    [Theory]
    [InlineData(PackageLayout.ClientId)]
    [InlineData(PackageLayout.ContractsId)]
    public void The_client_and_contracts_load_from_the_restored_packages_not_from_a_project(string id)
    {
        var loaded = (id == PackageLayout.ClientId ? typeof(CacheSidecarClient) : typeof(Cache.CacheClient))
            .Assembly.Location;
        var fromPackage = Path.Combine(PackageLayout.Restored(id), "lib", "net10.0", id + ".dll");
        using var deps = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(AppContext.BaseDirectory, "CacheSidecar.PackageConsumer.Tests.deps.json")));

        Assert.Equal(File.ReadAllBytes(fromPackage), File.ReadAllBytes(loaded));
        var library = deps.RootElement.GetProperty("libraries").GetProperty($"{id}/{PackageLayout.Version}");
        Assert.Equal("package", library.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Put_then_get_through_the_dependency_injection_registration()
    {
        var services = new ServiceCollection();
        services.AddCacheSidecarClient(o => o.Address = sidecar.Address);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CacheSidecarClient>();
        var key = UniqueKey();

        var put = await client.PutAsync("users", key, new Profile("ada", 1));
        var read = await client.GetAsync<Profile>("users", key);

        Assert.NotNull(read);
        Assert.Equal(new Profile("ada", 1), read.Value);
        Assert.Equal(put.ETag, read.ETag);
        Assert.Contains(await client.ListNamespacesAsync(), n => n.Name == "users");
    }

    [Fact]
    public async Task Put_then_get_through_a_channel_built_without_dependency_injection()
    {
        var options = new CacheSidecarClientOptions { Address = sidecar.Address };
        using var channel = CacheSidecarChannel.Create(options);
        var client = new CacheSidecarClient(new Cache.CacheClient(channel), Options.Create(options));
        var keys = new[] { UniqueKey(), UniqueKey() };

        await client.PutAsync("sessions", keys[0], new Profile("bob", 2));
        var batch = await client.BatchGetAsync<Profile>("sessions", keys);

        Assert.Equal(new Profile("bob", 2), batch[0]?.Value);
        Assert.Null(batch[1]);
    }

    private static string UniqueKey() => $"package-{Guid.NewGuid():N}";
}
