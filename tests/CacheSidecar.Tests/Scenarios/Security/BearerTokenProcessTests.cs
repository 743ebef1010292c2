using CacheSidecar.Contracts.V1;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace CacheSidecar.Tests.Scenarios.Security;

/// <summary>
/// The bearer token as a Kubernetes Secret usually arrives: an environment variable
/// (<c>Sidecar__Auth__Token</c>, from <c>env.valueFrom.secretKeyRef</c>), in a real process.
/// (The token file and the in-process cases are in FailureStatusTests.)
/// </summary>
public sealed class BearerTokenProcessTests
{
    [Fact]
    public async Task A_token_from_an_environment_variable_is_required_on_every_rpc_except_health()
    {
        var token = $"env-token-{Guid.NewGuid():N}";
        await using var sidecar = TestSidecar.Start(new Dictionary<string, string?>
        {
            ["Sidecar__Auth__Token"] = token,
            ["Sidecar__Embedded__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cachesidecar-token-{Guid.NewGuid():N}.db"),
        });
        await sidecar.WaitUntilServingAsync(TestSidecar.ServeTimeout); // health answers without a token
        using var channel = GrpcChannel.ForAddress(sidecar.Address);
        var client = new Cache.CacheClient(channel);
        var key = TestNamespaces.UniqueKey("token");
        var get = new GetRequest { Namespace = "users", Key = key };

        var missing = await SidecarHost.StatusOf(() => client.GetAsync(get).ResponseAsync);
        var wrong = await SidecarHost.StatusOf(() => client.GetAsync(get, Bearer("not-" + token)).ResponseAsync);
        var notBearer = await SidecarHost.StatusOf(() => client.GetAsync(get, new Metadata { { "authorization", token } }).ResponseAsync);
        var wrongList = await SidecarHost.StatusOf(() => client.ListNamespacesAsync(new ListNamespacesRequest(), Bearer("nope")).ResponseAsync);
        var reflection = await SidecarHost.StatusOf(async () =>
        {
            // Server reflection (a streaming RPC) describes the API: it is protected too.
            using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        var right = await client.GetAsync(get, Bearer(token));
        var listed = await client.ListNamespacesAsync(new ListNamespacesRequest(), Bearer(token));
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(StatusCode.Unauthenticated, missing);
        Assert.Equal(StatusCode.Unauthenticated, wrong);
        Assert.Equal(StatusCode.Unauthenticated, notBearer);
        Assert.Equal(StatusCode.Unauthenticated, wrongList);
        Assert.Equal(StatusCode.Unauthenticated, reflection);
        Assert.False(right.Found);
        Assert.NotEmpty(listed.Namespaces);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    private static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };
}
