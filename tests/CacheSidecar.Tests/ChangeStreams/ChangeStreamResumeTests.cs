using System.Diagnostics;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Testing.MongoWire;
using CacheSidecar.Tests.Infrastructure;
using MongoDB.Bson;
using MongoDB.Driver;
using static CacheSidecar.Tests.ChangeStreams.ChangeStreamHarness;

namespace CacheSidecar.Tests.ChangeStreams;

/// <summary>
/// The watcher's resume token (DESIGN §10): a new watcher resumes where the last one stopped and
/// misses nothing committed in between; when the store no longer holds that point
/// (ChangeStreamHistoryLost) the namespace is invalidated as a whole. Each test has its own wire
/// server, because forgetting the change history is a hook only the test server has.
/// </summary>
public sealed class ChangeStreamResumeTests(RedisSingleFixture redis)
{
    [Fact]
    public async Task A_new_watcher_resumes_from_the_saved_token_and_misses_no_change_made_while_none_ran()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var (changed, untouched, survivor) = await ChangeWhileNoWatcherRunsAsync(store, forgetHistory: false);

        // Resumed, not restarted: the change is caught and nothing else was thrown away.
        await ReadsTurnAsync(() => survivor.Client.GetAsync(CsCacheAside, changed), r => r.Text() == """{"n":2}""", Stopwatch.GetTimestamp(), "resumed change");
        var other = await survivor.Client.GetAsync(CsCacheAside, untouched);
        Assert.Equal(ValueSource.Cache, other.Source);
        await survivor.DisposeAsync();
    }

    [Fact]
    public async Task A_token_the_store_no_longer_holds_invalidates_the_whole_namespace()
    {
        await using var store = await MongoTestEndpoint.AcquireWireServerAsync();
        var (changed, untouched, survivor) = await ChangeWhileNoWatcherRunsAsync(store, forgetHistory: true);

        await ReadsTurnAsync(() => survivor.Client.GetAsync(CsCacheAside, changed), r => r.Text() == """{"n":2}""", Stopwatch.GetTimestamp(), "change lost with the history");
        var other = await survivor.Client.GetAsync(CsCacheAside, untouched);
        Assert.Equal(ValueSource.Store, other.Source); // everything was invalidated: nothing silently missed
        Assert.Equal("""{"n":1}""", other.Text());
        await survivor.DisposeAsync();
    }

    /// <summary>
    /// A first sidecar watches and caches two keys, then stops (its token stays in Redis); another
    /// service changes one key while no watcher runs; a second sidecar on the same Redis starts.
    /// </summary>
    private async Task<(string Changed, string Untouched, SidecarHost Survivor)> ChangeWhileNoWatcherRunsAsync(
        MongoTestTarget store, bool forgetHistory)
    {
        var collection = NewCollection();
        var changed = TestNamespaces.UniqueKey();
        var untouched = TestNamespaces.UniqueKey();
        string keyPrefix;
        await using (var first = SidecarHost.Start(redis.Configuration, store.ConnectionString, s => Add(s, collection)))
        {
            keyPrefix = first.KeyPrefix;
            await WaitUntilWatchingAsync(redis.Configuration, Policy(first, CsCacheAside));
            foreach (var key in new[] { changed, untouched })
            {
                await first.Client.PutJsonAsync(CsCacheAside, key, """{"n":1}""");
                // Cached in Redis. The watcher's invalidation for the Put's own change can drop a read's fill
                // lease, so read until one is served from the cache.
                await WaitUntilAsync(
                    async () => (await first.Client.GetAsync(CsCacheAside, key)).Source == ValueSource.Cache,
                    "the value is cached");
            }
        }

        await Collection(store.ConnectionString, collection)
            .UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("_id", changed), Builders<BsonDocument>.Update.Set("n", 2));
        if (forgetHistory)
        {
            store.WireServer!.ForgetChangeHistory();
        }

        var survivor = SidecarHost.Start(redis.Configuration, store.ConnectionString, s =>
        {
            Add(s, collection);
            s["Sidecar:Redis:KeyPrefix"] = keyPrefix;
        });
        return (changed, untouched, survivor);
    }
}
