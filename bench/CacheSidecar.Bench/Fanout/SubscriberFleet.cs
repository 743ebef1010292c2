using System.Diagnostics;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// N simulated instances of one scheme, each with one <see cref="SubscriberConnection"/> per node it needs:
/// sharded, the nodes owning the shard channels of the namespaces it follows (an SSUBSCRIBE must be sent to the
/// channel's owner, as for a key); classic, the node owning the classic channel's slot, because that is where
/// StackExchange.Redis (the old sidecar's client) sends a SUBSCRIBE on a cluster, so every old instance listened on
/// the same node and every PUBLISH reached it over the cluster bus.
/// </summary>
internal sealed class SubscriberFleet : IAsyncDisposable
{
    /// <summary>Connections opened at once: enough to start 3,000 quickly, few enough for the listen backlog.</summary>
    private const int ConnectParallelism = 32;

    private readonly List<SubscriberConnection> _connections;

    private SubscriberFleet(List<SubscriberConnection> connections) => _connections = connections;

    public int Connections => _connections.Count;

    /// <summary>Channel subscriptions over all connections.</summary>
    public long Subscriptions { get; private init; }

    public long Delivered => _connections.Sum(connection => connection.Total);

    public long Gaps => _connections.Sum(connection => connection.Gaps);

    public long Reads => _connections.Sum(connection => connection.Reads);

    public long LastReceive => _connections.Count == 0 ? 0 : _connections.Max(connection => connection.LastReceive);

    /// <summary>The first connection that stopped early, and why.</summary>
    public string? Problem => _connections.Select(connection => connection.Problem).FirstOrDefault(p => p is not null);

    public static async Task<SubscriberFleet> StartAsync(ClusterNodes cluster, FanoutLayout layout,
        FanoutScheme scheme, int instances, int follow, DeliveryRecorder recorder, CancellationToken cancellationToken)
    {
        var owners = new int[layout.Namespaces.Count];
        for (var ns = 0; ns < owners.Length; ns++)
        {
            owners[ns] = await cluster.OwnerAsync(layout.ShardChannels[ns], cancellationToken);
        }

        var classicOwner = await cluster.OwnerAsync(layout.ClassicChannel, cancellationToken);

        // A classic PUBLISH runs on the namespace's node (the script's key) and reaches the subscribers' node over
        // the cluster bus unless it is the same node; an SPUBLISH is delivered by the node that runs it.
        var viaBus = owners.Select(owner => !scheme.Sharded && owner != classicOwner).ToArray();
        var plan = Enumerable.Range(0, instances)
            .SelectMany(instance => scheme.Subscriptions(instance, owners.Length, follow)
                .GroupBy(ns => scheme.Sharded ? owners[ns] : classicOwner)
                .Select(node => (Port: node.Key, Tracked: node.ToArray())))
            .ToList();

        var connections = new SubscriberConnection?[plan.Count];
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, plan.Count),
                new ParallelOptions
                {
                    MaxDegreeOfParallelism = ConnectParallelism, CancellationToken = cancellationToken,
                },
                async (i, token) => connections[i] = await SubscriberConnection.SubscribeAsync(
                    plan[i].Port, layout, scheme.Sharded, plan[i].Tracked, viaBus, recorder, token));
        }
        catch
        {
            await DisposeAllAsync(connections.OfType<SubscriberConnection>());
            throw;
        }

        return new SubscriberFleet([.. connections.OfType<SubscriberConnection>()])
        {
            Subscriptions = scheme.Sharded ? plan.Sum(connection => connection.Tracked.Length) : plan.Count,
        };
    }

    /// <summary>
    /// Messages that never arrived: per connection and namespace it receives, published minus received (a
    /// connection that got them all, in order, has no gap either).
    /// </summary>
    public long Lost(IReadOnlyList<long> publishedPerNamespace) =>
        _connections.Sum(connection => connection.Tracked
            .Sum(ns => Math.Max(0, publishedPerNamespace[ns] - connection.Received(ns))));

    /// <summary>Deliveries expected in all: each namespace's messages times the connections receiving it.</summary>
    public long Expected(IReadOnlyList<long> publishedPerNamespace) =>
        _connections.Sum(connection => connection.Tracked.Sum(ns => publishedPerNamespace[ns]));

    /// <summary>
    /// Waits until every expected message arrived, a connection broke, or nothing arrived for
    /// <paramref name="quiet"/>: a queue draining after an overloaded run keeps making progress and is waited for.
    /// </summary>
    public async Task WaitForDrainAsync(IReadOnlyList<long> publishedPerNamespace, TimeSpan quiet,
        CancellationToken cancellationToken)
    {
        var expected = Expected(publishedPerNamespace);
        var delivered = Delivered;
        var progress = Stopwatch.StartNew();
        while (delivered < expected && Problem is null && progress.Elapsed < quiet)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
            var now = Delivered;
            if (now != delivered)
            {
                delivered = now;
                progress.Restart();
            }
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_connections);

    private static async ValueTask DisposeAllAsync(IEnumerable<SubscriberConnection> connections)
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }
}
