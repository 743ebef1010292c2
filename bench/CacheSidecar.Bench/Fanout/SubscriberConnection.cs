using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// One simulated instance's subscription on one node: a raw RESP2 socket that SSUBSCRIBEs to the shard channels
/// of the namespaces it follows that this node owns (or SUBSCRIBEs to the classic channel), then reads messages
/// until disposed. Per namespace it checks that sequences arrive as 1, 2, 3, … (a gap is a lost message) and
/// records each message's delay. A raw socket rather than a StackExchange.Redis multiplexer per instance: a
/// multiplexer brings its own interactive and subscription connections, a heartbeat timer, a backlog and a
/// writer per endpoint, so a thousand of them in one process would measure the client library, not Redis; here a
/// subscriber costs one socket, an 8 KB buffer and a few counters, and reads on the thread pool as sockets do.
/// </summary>
internal sealed class SubscriberConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly FanoutLayout _layout;
    private readonly bool _sharded;
    private readonly int[] _tracked;
    private readonly bool[] _viaBus;
    private readonly DeliveryRecorder _recorder;
    private readonly long[] _lastSequence;
    private readonly long[] _received;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _buffer = new byte[8 * 1024];
    private int _filled;
    private int _confirmations;
    private long _total;
    private long _gaps;
    private long _reads;
    private long _lastReceive;
    private Task _reading = Task.CompletedTask;
    private volatile bool _closing;

    private SubscriberConnection(Socket socket, FanoutLayout layout, bool sharded, int[] tracked, bool[] viaBus,
        DeliveryRecorder recorder)
    {
        _socket = socket;
        _layout = layout;
        _sharded = sharded;
        _tracked = tracked;
        _viaBus = viaBus;
        _recorder = recorder;
        _lastSequence = new long[layout.Namespaces.Count];
        _received = new long[layout.Namespaces.Count];
    }

    /// <summary>The namespaces whose messages arrive on this connection.</summary>
    public IReadOnlyList<int> Tracked => _tracked;

    /// <summary>Messages received so far (read from another thread while the run goes on).</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Messages whose sequence was not the previous one + 1 (a gap, a duplicate or a reordering).</summary>
    public long Gaps => Volatile.Read(ref _gaps);

    /// <summary>Socket reads that returned data: with <see cref="Total"/>, messages per read.</summary>
    public long Reads => Volatile.Read(ref _reads);

    /// <summary>Stopwatch timestamp of the last read that returned a message.</summary>
    public long LastReceive => Volatile.Read(ref _lastReceive);

    /// <summary>Why the connection stopped early (closed by Redis, an error frame), or null.</summary>
    public string? Problem { get; private set; }

    public long Received(int ns) => _received[ns];

    /// <summary>Connects to the node on <paramref name="port"/>, subscribes, returns once Redis confirmed.</summary>
    /// <param name="viaBus">Per namespace, whether its messages reach this node over the cluster bus.</param>
    public static async Task<SubscriberConnection> SubscribeAsync(int port, FanoutLayout layout, bool sharded,
        int[] tracked, bool[] viaBus, DeliveryRecorder recorder, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new SubscriberConnection(socket, layout, sharded, tracked, viaBus, recorder);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            connection._reading = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
            // One SSUBSCRIBE per channel: channels of different slots in one SSUBSCRIBE are a CROSSSLOT error.
            var commands = sharded
                ? tracked.SelectMany(ns => RespProtocol.Encode("SSUBSCRIBE", layout.ShardChannels[ns])).ToArray()
                : RespProtocol.Encode("SUBSCRIBE", layout.ClassicChannel);
            await socket.SendAsync(commands, SocketFlags.None, cancellationToken);
            await connection._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _socket.Dispose();
        await _reading;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                if (_filled == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                var read = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None);
                if (read == 0)
                {
                    Stop("Redis closed the connection (e.g. its pub/sub output buffer limit was reached)");
                    return;
                }

                _filled += read;
                Volatile.Write(ref _reads, _reads + 1);
                var consumed = Process(Stopwatch.GetTimestamp());
                _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
                _filled -= consumed;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException && _closing)
        {
            // Disposed: the run is over.
        }
        catch (Exception ex) when (ex is SocketException or InvalidDataException or IOException)
        {
            Stop(ex.Message);
        }
    }

    private void Stop(string problem)
    {
        if (!_closing)
        {
            Problem = problem;
        }

        _subscribed.TrySetException(new IOException(problem));
    }

    // Every whole frame in the buffer; all of them arrived with the same read, so they share its timestamp.
    private int Process(long now)
    {
        var position = 0;
        var messages = 0;
        while (PushFrameReader.TryRead(_buffer.AsSpan(position, _filled - position), out var kind, out var channel,
                   out var payload, out var consumed))
        {
            var frame = _buffer.AsSpan(position, consumed);
            position += consumed;
            if (kind == PushKind.Message)
            {
                OnMessage(frame[channel], frame[payload], now);
                messages++;
            }
            else if (kind == PushKind.Subscribed && ++_confirmations == (_sharded ? _tracked.Length : 1))
            {
                _subscribed.TrySetResult();
            }
        }

        if (messages > 0)
        {
            Volatile.Write(ref _lastReceive, now);
            Volatile.Write(ref _total, _total + messages);
        }

        return position;
    }

    // Sharded: "<seq>\nk\nu:<ts>" on the namespace's channel. Classic: "<ns>\n<seq>\nu:<ts>" on the one channel.
    private void OnMessage(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> payload, long now)
    {
        var ns = -1;
        if (!_sharded)
        {
            var nameEnd = payload.IndexOf((byte)'\n');
            ns = nameEnd < 0 ? -1 : IndexOf(_layout.NamespaceBytes, payload[..nameEnd]);
            payload = payload[(nameEnd + 1)..];
        }
        else
        {
            ns = IndexOf(_layout.ShardChannelBytes, channel);
        }

        var sequenceEnd = payload.IndexOf((byte)'\n');
        var stampStart = payload.LastIndexOf((byte)':') + 1;
        if (ns < 0 || sequenceEnd < 0 || stampStart == 0
            || !Utf8Parser.TryParse(payload[..sequenceEnd], out long sequence, out _)
            || !Utf8Parser.TryParse(payload[stampStart..], out long stamp, out _))
        {
            Interlocked.Increment(ref _gaps);
            return;
        }

        if (sequence != _lastSequence[ns] + 1)
        {
            Interlocked.Increment(ref _gaps);
        }

        _lastSequence[ns] = sequence;
        _received[ns]++;
        _recorder.Record((now - stamp) * 1_000_000 / Stopwatch.Frequency, _viaBus[ns]);
    }

    private int IndexOf(IReadOnlyList<byte[]> names, ReadOnlySpan<byte> name)
    {
        foreach (var ns in _tracked)
        {
            if (name.SequenceEqual(names[ns]))
            {
                return ns;
            }
        }

        return -1;
    }
}
