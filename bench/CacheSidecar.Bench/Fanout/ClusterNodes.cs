using System.Globalization;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// The cluster as the simulation sees it: which node (port) owns each slot, read once with <c>CLUSTER SLOTS</c>
/// (the cluster does not change during a run), and one open connection per node for its counters.
/// </summary>
internal sealed class ClusterNodes : IAsyncDisposable
{
    private readonly int[] _slotOwners;
    private readonly RespConnection[] _connections;

    private ClusterNodes(int[] slotOwners, RespConnection[] connections)
    {
        _slotOwners = slotOwners;
        _connections = connections;
    }

    /// <summary>The master nodes' ports, in a fixed order (the order of the counters).</summary>
    public IReadOnlyList<int> Ports => _connections.Select(connection => connection.Port).ToArray();

    public static async Task<ClusterNodes> ConnectAsync(IReadOnlyList<int> ports, CancellationToken cancellationToken)
    {
        var connections = new List<RespConnection>();
        try
        {
            foreach (var port in ports)
            {
                connections.Add(await RespConnection.ConnectAsync(port, cancellationToken));
            }

            var owners = new int[HashSlot.Count];
            var slots = await connections[0].ExecuteAsync(cancellationToken, "CLUSTER", "SLOTS") as object?[]
                ?? throw new InvalidDataException("CLUSTER SLOTS: not an array.");
            foreach (var range in slots.Cast<object?[]>())
            {
                // [start, end, [ip, port, id, ...], replicas ...]
                var port = (int)(long)((object?[])range[2]!)[1]!;
                Array.Fill(owners, port, (int)(long)range[0]!, (int)((long)range[1]! - (long)range[0]! + 1));
            }

            return owners.Any(port => !ports.Contains(port))
                ? throw new InvalidDataException("CLUSTER SLOTS names a node not started here, or misses a slot.")
                : new ClusterNodes(owners, [.. connections]);
        }
        catch
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The port of the node owning <paramref name="name"/>'s slot, checked against the cluster.</summary>
    public async Task<int> OwnerAsync(string name, CancellationToken cancellationToken)
    {
        var slot = HashSlot.Of(name);
        var reply = await _connections[0].ExecuteAsync(cancellationToken, "CLUSTER", "KEYSLOT", name);
        return reply is long served && served == slot
            ? _slotOwners[slot]
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"CRC16 slot {slot} of '{name}' differs from CLUSTER KEYSLOT ({reply})."));
    }

    public async Task<string> RedisVersionAsync(CancellationToken cancellationToken)
    {
        const string Field = "redis_version:";
        var info = await _connections[0].TextAsync(cancellationToken, "INFO", "server");
        return info.Split('\n', StringSplitOptions.TrimEntries)
            .FirstOrDefault(line => line.StartsWith(Field, StringComparison.Ordinal))?[Field.Length..] ?? "unknown";
    }

    public async Task<NodeSample[]> SampleAsync(CancellationToken cancellationToken)
    {
        var samples = new NodeSample[_connections.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = NodeSample.Parse(
                await _connections[i].TextAsync(cancellationToken, "INFO", "cpu"),
                await _connections[i].TextAsync(cancellationToken, "CLUSTER", "INFO"));
        }

        return samples;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}
