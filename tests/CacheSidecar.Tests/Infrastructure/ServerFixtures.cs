using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Testing.Redis;

[assembly: AssemblyFixture(typeof(CacheSidecar.Tests.Infrastructure.RedisSingleFixture))]
[assembly: AssemblyFixture(typeof(CacheSidecar.Tests.Infrastructure.RedisClusterFixture))]
[assembly: AssemblyFixture(typeof(CacheSidecar.Tests.Infrastructure.MongoFixture))]

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>One real Redis for the whole run (REDIS_URL, Testcontainers, or a redis-server process).</summary>
public sealed class RedisSingleFixture : IAsyncLifetime
{
    private RedisTestTarget? _target;

    public string Configuration => _target!.Configuration;

    public async ValueTask InitializeAsync() => _target = await RedisTestEndpoint.AcquireSingleAsync();

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}

/// <summary>One local 3-master Redis Cluster for the whole run.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private RedisTestTarget? _target;

    public string Configuration => _target!.Configuration;

    public async ValueTask InitializeAsync() => _target = await RedisTestEndpoint.AcquireClusterAsync(3);

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}

/// <summary>One MongoDB for the whole run (MONGODB_URI, Testcontainers, or the wire-protocol test server).</summary>
public sealed class MongoFixture : IAsyncLifetime
{
    private MongoTestTarget? _target;

    public string ConnectionString => _target!.ConnectionString;

    public string Kind => _target!.Kind;

    public async ValueTask InitializeAsync() => _target = await MongoTestEndpoint.AcquireAsync();

    public async ValueTask DisposeAsync()
    {
        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }
}
