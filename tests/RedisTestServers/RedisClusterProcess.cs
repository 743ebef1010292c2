using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CacheSidecar.Testing.Redis.Internal;

namespace CacheSidecar.Testing.Redis;

/// <summary>
/// A Redis Cluster of N masters (no replicas) made of cluster-enabled <see cref="RedisServerProcess"/> instances
/// and joined with <c>redis-cli --cluster create</c>. <see cref="StartAsync"/> returns only once every node reports
/// <c>cluster_state:ok</c> and all nodes agree on who owns each of the 16384 slots.
/// </summary>
public sealed class RedisClusterProcess : IAsyncDisposable
{
    /// <summary>Number of hash slots in a Redis Cluster.</summary>
    public const int HashSlotCount = 16384;

    /// <summary>Default bound for <see cref="WaitUntilHealthyAsync"/>.</summary>
    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly RedisServerProcess[] _nodes;
    private bool _disposed;

    private RedisClusterProcess(RedisServerProcess[] nodes) => _nodes = nodes;

    /// <summary>The master nodes, in the order given to <c>redis-cli --cluster create</c>.</summary>
    public IReadOnlyList<RedisServerProcess> Nodes => _nodes;

    /// <summary>StackExchange.Redis configuration: "127.0.0.1:p1,127.0.0.1:p2,...".</summary>
    public string Configuration => string.Join(',', _nodes.Select(node => node.EndPoint));

    /// <summary>Starts <paramref name="masters"/> nodes (at least 3, as redis-cli requires), creates the cluster and waits until it is healthy.</summary>
    public static async Task<RedisClusterProcess> StartAsync(int masters = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 3);
        var cluster = new RedisClusterProcess(await StartNodesAsync(masters, cancellationToken));
        try
        {
            await cluster.CreateAsync(cancellationToken);
            await cluster.WaitUntilHealthyAsync(DefaultReadyTimeout, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILLs one node. The others mark it failed after the node timeout (3 s) and the cluster goes to <c>fail</c>.</summary>
    public void KillNode(int index) => _nodes[index].Kill();

    /// <summary>Restarts one node on its port and data directory (nodes.conf keeps its slots) and waits until the cluster is healthy again.</summary>
    public async Task RestartNodeAsync(int index, CancellationToken cancellationToken = default)
    {
        await _nodes[index].RestartAsync(cancellationToken);
        await WaitUntilHealthyAsync(DefaultReadyTimeout, cancellationToken);
    }

    /// <summary>
    /// Polls until every node reports <c>cluster_state:ok</c> with all slots assigned and ok, knows all other nodes,
    /// and every node's <c>CLUSTER NODES</c> view (ids, addresses, roles, slot ranges) is identical.
    /// </summary>
    /// <exception cref="TimeoutException">Not healthy within the timeout; the message says what was still wrong.</exception>
    public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var budget = timeout ?? DefaultReadyTimeout;
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var problem = await FindProblemAsync(cancellationToken);
            if (problem is null)
            {
                return;
            }

            if (elapsed.Elapsed >= budget)
            {
                throw new TimeoutException($"Redis cluster {Configuration} not healthy after {budget.TotalSeconds:0.#} s: {problem}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"redis cluster {Configuration}";

    /// <summary>Kills and cleans up every node.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static async Task<RedisServerProcess[]> StartNodesAsync(int count, CancellationToken cancellationToken)
    {
        var starts = Enumerable.Range(0, count)
            .Select(_ => RedisServerProcess.StartAsync(new RedisServerOptions { ClusterEnabled = true }, cancellationToken))
            .ToArray();
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var start in starts.Where(start => start.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        // redis-cli assigns slots, bumps epochs, sends CLUSTER MEET and polls (about once a second) until the
        // nodes agree; that polling is why creation takes a couple of seconds.
        string[] arguments = ["--cluster", "create", .. _nodes.Select(node => node.EndPoint), "--cluster-replicas", "0", "--cluster-yes"];
        ChildProcessResult result;
        try
        {
            result = await ChildProcess.RunAsync("redis-cli", arguments, CreateTimeout, cancellationToken);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("redis-cli was not found; install the Debian package redis-server (it ships redis-cli).", ex);
        }

        if (result.TimedOut || result.ExitCode != 0)
        {
            var what = result.TimedOut
                ? $"timed out after {CreateTimeout.TotalSeconds:0} s"
                : string.Create(CultureInfo.InvariantCulture, $"exited with {result.ExitCode}");
            throw new InvalidOperationException($"redis-cli --cluster create {what}:{Environment.NewLine}{result.Output}");
        }
    }

    // Null when healthy, else a description of the first thing found wrong.
    private async Task<string?> FindProblemAsync(CancellationToken cancellationToken)
    {
        string? firstView = null;
        foreach (var node in _nodes)
        {
            if (!node.IsRunning)
            {
                return $"{node} is not running";
            }

            string info;
            string nodes;
            try
            {
                info = await QueryAsync(node, cancellationToken, "CLUSTER", "INFO");
                nodes = await QueryAsync(node, cancellationToken, "CLUSTER", "NODES");
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or InvalidOperationException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return $"{node} did not answer: {ex.Message}";
            }

            var fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["cluster_state"] = "ok",
                ["cluster_slots_assigned"] = Invariant(HashSlotCount),
                ["cluster_slots_ok"] = Invariant(HashSlotCount),
                ["cluster_known_nodes"] = Invariant(_nodes.Length),
            };
            foreach (var (field, expected) in fields)
            {
                var actual = RedisServerProcess.ReadInfoField(info, field);
                if (actual != expected)
                {
                    return $"{node} reports {field}:{actual} (want {expected})";
                }
            }

            var view = CanonicalNodesView(nodes);
            if (HasUnsettledNode(nodes))
            {
                return $"{node} still sees a failing, handshaking or address-less node:{Environment.NewLine}{view}";
            }

            firstView ??= view;
            if (view != firstView)
            {
                return $"nodes disagree on the slot map; {node} sees:{Environment.NewLine}{view}{Environment.NewLine}first node sees:{Environment.NewLine}{firstView}";
            }
        }

        return null;
    }

    private static async Task<string> QueryAsync(RedisServerProcess node, CancellationToken cancellationToken, params string[] command) =>
        await RespClient.ExecuteAsync(node.Port, ProbeTimeout, cancellationToken, command) switch
        {
            string text => text,
            RespError error => throw new InvalidOperationException(error.Message),
            var other => throw new InvalidDataException($"Unexpected reply to {string.Join(' ', command)}: {other}"),
        };

    /// <summary>
    /// One line per node: "id address flags master link slots...", sorted, with the per-node parts
    /// (ping/pong times, epochs, the "myself" flag) left out so that healthy nodes produce identical text.
    /// </summary>
    internal static string CanonicalNodesView(string clusterNodes) =>
        string.Join('\n', clusterNodes
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 8)
            .Select(fields =>
            {
                var flags = string.Join(',', fields[2].Split(',').Where(flag => flag != "myself").Order(StringComparer.Ordinal));
                return string.Join(' ', [fields[0], fields[1], flags, fields[3], fields[7], .. fields.Skip(8)]);
            })
            .Order(StringComparer.Ordinal));

    // "fail?" (PFAIL), "fail", "handshake" and "noaddr" all mean the node's view has not settled yet.
    private static bool HasUnsettledNode(string clusterNodes) =>
        clusterNodes
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(fields => fields.Length < 3 || fields[2].Split(',').Any(flag => flag is "fail" or "fail?" or "handshake" or "noaddr"));

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
