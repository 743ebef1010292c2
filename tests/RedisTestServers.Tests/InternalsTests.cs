using CacheSidecar.Testing.Redis.Internal;

namespace CacheSidecar.Testing.Redis.Tests;

public sealed class RedisUrlTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("  cache:6380,abortConnect=false ", "cache:6380,abortConnect=false")]
    [InlineData("redis://127.0.0.1:6390", "127.0.0.1:6390")]
    [InlineData("redis://cache", "cache:6379")]
    [InlineData("redis://:s3cret@cache:6380/3", "cache:6380,password=s3cret,defaultDatabase=3")]
    [InlineData("redis://app:p%40ss@cache:6380", "cache:6380,user=app,password=p@ss")]
    [InlineData("rediss://cache:6380", "cache:6380,ssl=true")]
    [InlineData("redis://n1:7000,redis://n2:7001,abortConnect=false", "n1:7000,n2:7001,abortConnect=false")]
    public void Converts_REDIS_URL_values_to_StackExchange_Redis_configuration(string url, string expected) =>
        Assert.Equal(expected, RedisUrl.ToConfiguration(url));

    [Fact]
    public void Rejects_other_schemes() =>
        Assert.Throws<FormatException>(() => RedisUrl.ToConfiguration("http://cache:6379"));
}

public sealed class ClusterNodesViewTests
{
    [Fact]
    public void Views_that_differ_only_in_per_node_details_are_equal()
    {
        const string fromNodeA = """
            aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191
            bbb 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected 8192-16383
            """;
        const string fromNodeB = """
            bbb 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 8192-16383
            aaa 127.0.0.1:7000@17000 master - 0 1700000000999 1 connected 0-8191
            """;

        Assert.Equal(RedisClusterProcess.CanonicalNodesView(fromNodeA), RedisClusterProcess.CanonicalNodesView(fromNodeB));
    }

    [Fact]
    public void A_different_slot_owner_makes_views_differ()
    {
        const string one = "aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\nbbb 127.0.0.1:7001@17001 master - 0 0 2 connected";
        const string other = "aaa 127.0.0.1:7000@17000 master - 0 0 1 connected\nbbb 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 0-16383";

        Assert.NotEqual(RedisClusterProcess.CanonicalNodesView(one), RedisClusterProcess.CanonicalNodesView(other));
    }
}
