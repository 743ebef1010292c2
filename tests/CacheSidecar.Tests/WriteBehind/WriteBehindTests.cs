using CacheSidecar.Core;
using CacheSidecar.Configuration;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Store;
using CacheSidecar.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static CacheSidecar.Tests.Infrastructure.TestNamespaces;

namespace CacheSidecar.Tests.WriteBehind;

/// <summary>
/// DESIGN §4 write-behind, sentence by sentence, in-process against a real Redis (single and
/// 3-master cluster) and the real store socket. Flushers run on the host's fake clock: they flush
/// only when a test advances it, which makes "still pending" and "flushed" deterministic states.
/// </summary>
public abstract class WriteBehindTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly SidecarHost _host;
    private readonly WriteBehindProbe _probe;

    protected WriteBehindTests(string redis, MongoFixture mongo)
    {
        _host = SidecarHost.Start(redis, mongo.ConnectionString);
        _probe = new WriteBehindProbe(redis, Policy(Wb));
    }

    public async ValueTask DisposeAsync()
    {
        await _probe.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Put_is_acknowledged_once_in_redis_and_the_store_is_written_later_by_a_flusher()
    {
        var key = UniqueKey();
        var put = await _host.Client.PutJsonAsync(Wb, key, "{\"n\":1}");

        Assert.True(put.Queued);
        Assert.False(put.Persisted);
        Assert.True(await _probe.HasPendingAsync(key));
        Assert.Null(await StoreProbe.LoadAsync(_host, Wb, key)); // nothing in the store yet

        await FlushAsync(key);

        var stored = await StoreProbe.LoadAsync(_host, Wb, key);
        Assert.Equal("{\"n\":1}", stored!.Value.Span.ToArray().AsUtf8());
        Assert.Equal(put.Etag, CacheSidecar.Core.Versions.ToEtag(stored.Version)); // stored at the acknowledged version
        Assert.False(await _probe.HasPendingAsync(key)); // pending record cleared after the store write
    }

    [Fact]
    public async Task Get_reads_the_cache_first()
    {
        var key = UniqueKey();
        var put = await _host.Client.PutJsonAsync(Wb, key, "1");

        var read = await _host.Client.GetAsync(Wb, key);

        Assert.Equal(ValueSource.Cache, read.Source);
        Assert.Equal("1", read.Text());
        Assert.Equal(put.Etag, read.Etag);
        Assert.Equal(0, _host.Store.Loads);
    }

    [Fact]
    public async Task A_caller_reads_its_own_write_from_the_pending_record_after_the_cache_entry_expired()
    {
        var key = UniqueKey();
        StoreIsDown(); // the write stays pending
        await _host.Client.PutAsync(new PutRequest
        {
            Namespace = Wb,
            Key = key,
            Value = Google.Protobuf.ByteString.CopyFromUtf8("\"mine\""),
            ContentType = GrpcTestExtensions.Json,
            Ttl = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
        });
        _host.Time.Advance(TimeSpan.FromSeconds(6)); // the cache entry's TTL is over

        var read = await _host.Client.GetAsync(Wb, key);

        Assert.True(read.Found);
        Assert.Equal(ValueSource.Pending, read.Source);
        Assert.Equal("\"mine\"", read.Text());
        Assert.True(await _probe.HasPendingAsync(key));
        Assert.Equal(0, _host.Store.Loads); // answered by Redis, not by the (older) store
    }

    [Fact]
    public async Task After_the_flush_and_the_cache_entry_expiry_get_falls_through_to_the_store()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Wb, key, "7");
        await FlushAsync(key);
        _host.Time.Advance(TimeSpan.FromMinutes(11));

        var read = await _host.Client.GetAsync(Wb, key);

        Assert.Equal(ValueSource.Store, read.Source);
        Assert.Equal("7", read.Text());
    }

    [Fact]
    public async Task Several_writes_to_one_key_coalesce_into_one_store_write_of_the_newest()
    {
        await SettleFlushersAsync();
        var key = UniqueKey();
        var written = new List<StoreMutation>();
        _host.Store.BeforeBatch = mutations =>
        {
            lock (written)
            {
                written.AddRange(mutations.Where(m => m.Key == key));
            }

            return Task.CompletedTask;
        };

        PutResponse last = null!;
        for (var i = 1; i <= 5; i++)
        {
            last = await _host.Client.PutJsonAsync(Wb, key, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await FlushAsync(key);

        var mutation = Assert.Single(written);
        Assert.Equal(last.Etag, CacheSidecar.Core.Versions.ToEtag(mutation.Version));
        Assert.Equal("5", (await StoreProbe.LoadAsync(_host, Wb, key))!.Value.Span.ToArray().AsUtf8());
    }

    [Fact]
    public async Task A_pending_record_is_kept_when_a_newer_write_arrives_while_the_older_one_is_flushed()
    {
        await SettleFlushersAsync();
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Wb, key, "\"old\"");
        PutResponse? newer = null;
        _host.Store.BeforeBatch = async mutations =>
        {
            if (newer is null && mutations.Any(m => m.Key == key))
            {
                // A write lands between the flusher's read of the pending record and its clear.
                newer = await _host.Client.PutJsonAsync(Wb, key, "\"new\"");
            }
        };

        await FlushAsync(key);

        var stored = await StoreProbe.LoadAsync(_host, Wb, key);
        Assert.Equal("\"new\"", stored!.Value.Span.ToArray().AsUtf8());
        Assert.Equal(newer!.Etag, CacheSidecar.Core.Versions.ToEtag(stored.Version));
    }

    [Fact]
    public async Task A_flusher_that_wakes_after_a_newer_delete_reached_the_store_cannot_resurrect_the_key()
    {
        await SettleFlushersAsync();
        var key = UniqueKey();
        var held = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Store.BeforeBatch = async mutations =>
        {
            if (mutations.FirstOrDefault(m => m.Key == key) is { } mine && held.TrySetResult(mine.Version))
            {
                await release.Task; // frozen between its claim and its store write
            }
        };
        await _host.Client.PutJsonAsync(Wb, key, "\"old\"");
        await WriteBehindProbe.WaitUntilAsync(() => Task.FromResult(held.Task.IsCompleted), Bound, "the flusher holds the put", () => _host.Time.Advance(FlushInterval));

        // Meanwhile another instance reclaimed the key and flushed a newer delete.
        var newerDelete = await held.Task + 1_000;
        var store = _host.Services.GetRequiredService<IRecordStore>();
        await store.ApplyBatchAsync(Policy(Wb), [new StoreMutation(key, newerDelete, null)], default);
        release.SetResult();
        await FlushAsync(key);
        _host.Store.BeforeBatch = null;

        Assert.Null(await StoreProbe.LoadAsync(_host, Wb, key));
        Assert.Equal(newerDelete, await store.LoadVersionAsync(Policy(Wb), key, default));
        Assert.False((await _host.Client.GetAsync(Wb, key)).Found);
    }

    [Fact]
    public async Task Delete_is_a_tombstone_that_reads_as_not_found_at_once_and_deletes_in_the_store_when_flushed()
    {
        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Wb, key, "1");
        await FlushAsync(key);

        var delete = await _host.Client.DeleteAsync(Wb, key);
        var read = await _host.Client.GetAsync(Wb, key);

        Assert.True(delete.Deleted);
        Assert.True(delete.Queued);
        Assert.False(read.Found);
        Assert.NotNull(await StoreProbe.LoadAsync(_host, Wb, key)); // not yet flushed

        await FlushAsync(key);
        Assert.Null(await StoreProbe.LoadAsync(_host, Wb, key));
        _host.Time.Advance(TimeSpan.FromMinutes(1)); // past the negative entry
        Assert.False((await _host.Client.GetAsync(Wb, key)).Found);
    }

    [Fact]
    public async Task If_match_compares_with_the_pending_version_and_a_mismatch_writes_nothing()
    {
        await SettleFlushersAsync(); // a start-up flush round must not empty the backlog between the two reads
        var key = UniqueKey();
        var first = await _host.Client.PutJsonAsync(Wb, key, "1");
        var backlog = await _probe.BacklogAsync();

        var status = await SidecarHost.StatusOf(() => _host.Client.PutJsonAsync(Wb, key, "2", ifMatch: "12345"));
        Assert.Equal(StatusCode.FailedPrecondition, status);
        Assert.Equal(backlog, await _probe.BacklogAsync());
        Assert.Equal("1", (await _host.Client.GetAsync(Wb, key)).Text());

        var second = await _host.Client.PutJsonAsync(Wb, key, "2", ifMatch: first.Etag);
        Assert.Equal("2", (await _host.Client.GetAsync(Wb, key)).Text());
        Assert.True(long.Parse(second.Etag, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(first.Etag, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task If_match_on_a_key_redis_does_not_hold_uses_the_store_version()
    {
        var key = UniqueKey();
        var put = await _host.Client.PutJsonAsync(Wb, key, "1");
        await FlushAsync(key);
        await _host.Client.InvalidateAsync(new InvalidateRequest { Namespace = Wb, Keys = { key } });

        Assert.Equal(StatusCode.FailedPrecondition, await SidecarHost.StatusOf(() => _host.Client.PutJsonAsync(Wb, key, "2", ifMatch: "1")));
        await _host.Client.PutJsonAsync(Wb, key, "3", ifMatch: put.Etag);

        Assert.Equal("3", (await _host.Client.GetAsync(Wb, key)).Text());
    }

    [Fact]
    public async Task Max_backlog_reached_fails_resource_exhausted_and_writes_nothing()
    {
        StoreIsDown(); // nothing drains
        await using var probe = new WriteBehindProbe(RedisConfiguration, Policy(WbSmall));
        var prefix = UniqueKey("full");
        var accepted = 0;
        StatusCode status;
        do
        {
            status = await SidecarHost.StatusOf(() => _host.Client.PutJsonAsync(WbSmall, $"{prefix}-{accepted}", "1"));
            if (status == StatusCode.OK)
            {
                accepted++;
            }
        }
        while (status == StatusCode.OK && accepted < 100);

        var refusedKey = $"{prefix}-{accepted}";
        Assert.Equal(StatusCode.ResourceExhausted, status);
        Assert.True(accepted <= 4, $"accepted {accepted} writes beyond MaxBacklog 4");
        Assert.Equal(4, await probe.BacklogAsync());
        Assert.False(await probe.HasPendingAsync(refusedKey));
        Assert.False(await probe.HasEntryAsync(refusedKey));
        Assert.False((await _host.Client.GetAsync(WbSmall, refusedKey)).Found);
    }

    [Fact]
    public async Task A_flush_that_fails_on_the_store_backs_off_and_succeeds_once_the_store_is_back()
    {
        var key = UniqueKey();
        var failures = 0;
        _host.Store.BeforeBatch = mutations =>
        {
            if (mutations.Any(m => m.Key == key) && Interlocked.Increment(ref failures) <= 2)
            {
                throw new StoreUnavailableException("store down (test)");
            }

            return Task.CompletedTask;
        };
        await _host.Client.PutJsonAsync(Wb, key, "\"eventually\"");

        await FlushAsync(key);

        Assert.True(failures >= 3);
        Assert.Equal("\"eventually\"", (await StoreProbe.LoadAsync(_host, Wb, key))!.Value.Span.ToArray().AsUtf8());
    }

    [Fact]
    public async Task The_store_never_regresses_a_newer_version_written_there_by_someone_else()
    {
        var key = UniqueKey();
        StoreIsDown();
        await _host.Client.PutJsonAsync(Wb, key, "\"queued\"");
        var direct = _host.Services.GetRequiredService<IRecordStore>();
        var newer = new StoredRecord("\"newer\""u8.ToArray(), GrpcTestExtensions.Json, long.MaxValue / 2);
        await ((InstrumentedStore)direct).UpsertIfNewerAsync(Policy(Wb), key, newer, default);
        _host.Store.BeforeBatch = null;

        await FlushAsync(key);

        var stored = await StoreProbe.LoadAsync(_host, Wb, key);
        Assert.Equal("\"newer\"", stored!.Value.Span.ToArray().AsUtf8()); // "already newer": acknowledged, not retried, not regressed
        Assert.False(await _probe.HasPendingAsync(key));
        Assert.Equal("\"newer\"", (await _host.Client.GetAsync(Wb, key)).Text()); // the older cached value was dropped
    }

    [Fact]
    public async Task Flushing_recovers_when_redis_lost_the_logs_and_their_consumer_group()
    {
        var first = UniqueKey();
        await _host.Client.PutJsonAsync(Wb, first, "1");
        await FlushAsync(first);
        var ns = Policy(Wb);
        for (var p = 0; p < ns.Partitions; p++)
        {
            // What a Redis restarted without persistence (or flushed) looks like to the flushers.
            await _probe.Db.KeyDeleteAsync(CacheSidecar.Redis.RedisKeyLayout.Log(ns, p));
        }

        var key = UniqueKey();
        await _host.Client.PutJsonAsync(Wb, key, "2");
        await FlushAsync(key);

        Assert.Equal("2", (await StoreProbe.LoadAsync(_host, Wb, key))!.Value.Span.ToArray().AsUtf8());
    }

    protected abstract string RedisConfiguration { get; }

    private void StoreIsDown() => _host.Store.FailBatches();

    /// <summary>Advances the fake clock flush interval by flush interval until the key is flushed and the whole backlog is empty.</summary>
    private Task FlushAsync(string key) =>
        WriteBehindProbe.WaitUntilAsync(
            async () => !await _probe.HasPendingAsync(key) && await _probe.BacklogAsync() == 0,
            Bound,
            $"'{key}' is flushed",
            () => _host.Time.Advance(FlushInterval));

    /// <summary>Lets the flushers finish their start-up round, so a test's writes are all read in one later round.</summary>
    private async Task SettleFlushersAsync()
    {
        var sentinel = UniqueKey("sentinel");
        await _host.Client.PutJsonAsync(Wb, sentinel, "0");
        await FlushAsync(sentinel);
    }

    private NamespacePolicy Policy(string name)
    {
        _host.Services.GetRequiredService<NamespaceRegistry>().TryGet(name, out var policy);
        return policy;
    }
}

public sealed class WriteBehindOnSingleRedisTests(RedisSingleFixture redis, MongoFixture mongo) : WriteBehindTests(redis.Configuration, mongo)
{
    protected override string RedisConfiguration => redis.Configuration;
}

public sealed class WriteBehindOnRedisClusterTests(RedisClusterFixture redis, MongoFixture mongo) : WriteBehindTests(redis.Configuration, mongo)
{
    protected override string RedisConfiguration => redis.Configuration;
}
