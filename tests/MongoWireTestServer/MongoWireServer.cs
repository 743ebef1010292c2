using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MongoDB.Bson;

namespace CacheSidecar.Testing.MongoWire;

/// <summary>
/// A minimal MongoDB wire-protocol server for tests — <b>a test server, not a database</b>.
/// It speaks just enough of the protocol (OP_QUERY handshake, OP_MSG) for the real
/// MongoDB.Driver to connect over loopback TCP and run the commands the CacheSidecar store
/// adapter sends, against thread-safe in-memory storage.
/// </summary>
/// <remarks>
/// <para>Supported commands: <c>hello</c>, <c>isMaster</c>/<c>ismaster</c>, <c>ping</c>,
/// <c>buildInfo</c>, <c>endSessions</c>, <c>listDatabases</c>, <c>listCollections</c>,
/// <c>create</c>, <c>drop</c>, <c>dropDatabase</c>, <c>createIndexes</c>, <c>listIndexes</c>,
/// <c>find</c>, <c>getMore</c>, <c>killCursors</c>, <c>count</c>,
/// <c>aggregate</c> (<c>$match $sort $skip $limit $project $count</c>, constant-<c>_id</c>
/// <c>$group</c> with <c>$sum</c>, and collection-level <c>$changeStream</c>), <c>insert</c>,
/// <c>update</c>, <c>delete</c>, <c>findAndModify</c>. TTL indexes expire documents.</para>
/// <para>Query operators: field equality on dotted paths, <c>$eq $ne $gt $gte $lt $lte $in $nin
/// $exists $not $and $or $nor</c>. Update operators: <c>$set $unset $inc $setOnInsert</c> and
/// replacement documents. Only the unique <c>_id</c> index is enforced.</para>
/// <para>Anything else gets an error reply <c>{ok: 0, errmsg, code}</c> with code 59
/// (CommandNotFound) for an unknown command or 2 (BadValue) for an unsupported operator, stage or
/// option — never a silently wrong answer. See README.md beside this file.</para>
/// </remarks>
public sealed class MongoWireServer : IAsyncDisposable
{
    private readonly InMemoryStore _store;
    private readonly CommandDispatcher _dispatcher;
    private readonly TtlMonitor _ttl;
    private readonly ConcurrentDictionary<string, int> _commandCounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, TcpClient> _clients = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private TcpListener? _listener;
    private CancellationTokenSource? _stopping;
    private Task? _acceptLoop;
    private Task? _ttlLoop;
    private long _responseDelayTicks;
    private int _nextConnectionId;
    private int _nextReplyId;
    private int _disposed;

    /// <summary>Creates a stopped server with empty storage on the system clock; call <see cref="StartAsync"/>.
    /// </summary>
    public MongoWireServer()
        : this(TimeProvider.System)
    {
    }

    /// <summary>
    /// Creates a stopped server whose "now" comes from <paramref name="timeProvider"/>: TTL expiry, TTL
    /// monitor passes and change events' <c>wallTime</c>/<c>clusterTime</c>. A fake clock lets tests expire
    /// documents without waiting. Waiting on the wire (getMore's maxTimeMS, ResponseDelay) stays real time.
    /// </summary>
    public MongoWireServer(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        TimeProvider = timeProvider;
        _store = new InMemoryStore(timeProvider);
        _dispatcher = new CommandDispatcher(_store);
        _ttl = new TtlMonitor(_store, timeProvider);
    }

    /// <summary>The clock given to the constructor (<see cref="TimeProvider.System"/> by default).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The bound loopback port (0 before the first start). Kept across <see cref="StopAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>True between <see cref="StartAsync"/> and <see cref="StopAsync"/>.</summary>
    public bool IsRunning => _listener is not null;

    /// <summary>
    /// Connection string for tests: direct connection and 2 s server-selection / connect timeouts,
    /// so an operation against a stopped server fails fast instead of after the default 30 s.
    /// </summary>
    public string ConnectionString => $"{PlainConnectionString}&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000";

    /// <summary>Connection string with only <c>directConnection=true</c>, i.e. the driver's default timeouts.</summary>
    public string PlainConnectionString => $"mongodb://127.0.0.1:{Port}/?directConnection=true";

    /// <summary>
    /// Delay added before the reply to every command except <c>hello</c>/<c>isMaster</c>/<c>ping</c>
    /// (so monitoring keeps seeing the server as healthy). The command has already been applied
    /// when the delay starts: a client that gives up may still find its write stored, as with a
    /// slow real server. Settable at any time; zero by default.
    /// </summary>
    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _responseDelayTicks));
        set => Interlocked.Exchange(ref _responseDelayTicks, value.Ticks);
    }

    /// <summary>Number of client connections currently open.</summary>
    public int OpenConnectionCount => _clients.Count;

    /// <summary>
    /// Called with every decoded command (kind 1 sequences already folded in) before it runs,
    /// on the connection's thread. For tests that assert on what the driver sent, and for
    /// debugging. Do not modify the document.
    /// </summary>
    public Action<BsonDocument>? CommandReceived { get; set; }

    /// <summary>
    /// Credentials that <c>saslStart</c> with mechanism PLAIN must present (connection strings with
    /// <c>user:password@…&amp;authMechanism=PLAIN</c>); null (the default) accepts any. The server
    /// never requires authentication: clients without credentials are served as before.
    /// </summary>
    public (string User, string Password)? PlainCredentials
    {
        get => _dispatcher.PlainCredentials;
        set => _dispatcher.PlainCredentials = value;
    }

    /// <summary>
    /// How many change events the history keeps for change streams to resume from (default 100 000);
    /// when more are recorded the oldest are dropped, and resuming from before them (or a getMore of an
    /// open stream that lagged behind them) fails with 286 <c>ChangeStreamHistoryLost</c>, like a
    /// rolled-over oplog. Lowering it drops the excess at once.
    /// </summary>
    public int ChangeHistoryCapacity
    {
        get
        {
            lock (_store.SyncRoot)
            {
                return _store.Changes.Capacity;
            }
        }

        set
        {
            lock (_store.SyncRoot)
            {
                _store.Changes.Capacity = value;
            }
        }
    }

    /// <summary>How many change events the history holds now.</summary>
    public int ChangeEventCount
    {
        get
        {
            lock (_store.SyncRoot)
            {
                return _store.Changes.Count;
            }
        }
    }

    /// <summary>
    /// Test hook: drops every retained change event, as if the oplog had rolled over. Resuming from a
    /// token older than the newest event then fails with 286 <c>ChangeStreamHistoryLost</c>, and so does
    /// the next getMore of an open stream that had not read up to the newest event. A token at the newest
    /// event still resumes; new events are recorded as before.
    /// </summary>
    public void ForgetChangeHistory()
    {
        lock (_store.SyncRoot)
        {
            _store.Changes.Forget();
        }
    }

    /// <summary>
    /// Time between TTL monitor passes while the server runs (default 1 s; mongod's is 60 s), measured on
    /// <see cref="TimeProvider"/>, so advancing a fake clock past it triggers a pass.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns the background monitor off (use
    /// <see cref="RunTtlMonitorPass"/>). Settable at any time.
    /// </summary>
    public TimeSpan TtlMonitorInterval
    {
        get => _ttl.Interval;
        set => _ttl.Interval = value;
    }

    /// <summary>
    /// Test hook: runs one TTL monitor pass now, even while stopped, and returns how many documents it
    /// deleted. A document expires when its TTL-indexed field is a date (for an array of dates, the
    /// earliest) with <c>date + expireAfterSeconds &lt;= now</c>; each deletion is a <c>delete</c> change event.
    /// </summary>
    public int RunTtlMonitorPass() => _ttl.RunPass();

    /// <summary>How many times a command was received (any outcome) since construction, e.g. <c>CommandCount("getMore")</c>.</summary>
    public int CommandCount(string commandName) => _commandCounts.GetValueOrDefault(commandName);

    /// <summary>
    /// Starts listening on 127.0.0.1. <paramref name="port"/> 0 picks a free port on the first
    /// start and reuses the previous port on a restart, so connection strings handed out stay
    /// valid. Stored data survives a stop/start.
    /// </summary>
    public async Task StartAsync(int port = 0)
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_listener is not null)
            {
                throw new InvalidOperationException("The MongoDB wire test server is already running.");
            }

            var listener = new TcpListener(IPAddress.Loopback, port != 0 ? port : Port);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _stopping = new CancellationTokenSource();
            _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
            _ttlLoop = _ttl.RunAsync(_stopping.Token);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops listening and closes every open client connection, so the driver sees the server
    /// as down. Data is kept (open cursors are not, as with a restarted mongod).
    /// </summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            if (_listener is null)
            {
                return;
            }

            await _stopping!.CancelAsync();
            _listener.Stop();
            foreach (TcpClient client in _clients.Values)
            {
                client.Dispose();
            }

            await _acceptLoop!;
            await _ttlLoop!;
            _stopping.Dispose();
            _listener = null;
            _dispatcher.ForgetCursors();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server (idempotent). The instance cannot be restarted afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopAsync();
            _lifecycle.Dispose();
        }
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken stopping)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await listener.AcceptTcpClientAsync(stopping);
                int connectionId = Interlocked.Increment(ref _nextConnectionId);
                _clients[connectionId] = client;
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(ServeConnectionAsync(client, connectionId, stopping));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Listener stopped (InvalidOperationException: "Not listening" when Stop won the race).
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeConnectionAsync(TcpClient client, int connectionId, CancellationToken stopping)
    {
        try
        {
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            while (await WireProtocol.ReadAsync(stream, stopping) is { } request)
            {
                string name = CommandDispatcher.CommandName(request.Command);
                _commandCounts.AddOrUpdate(name, 1, (_, n) => n + 1);
                CommandReceived?.Invoke(request.Command);
                BsonDocument reply = await _dispatcher.ExecuteAsync(request.Command, connectionId, stopping);
                if (request.MoreToCome)
                {
                    continue; // moreToCome: the client wants no reply (unacknowledged write).
                }

                TimeSpan delay = ResponseDelay;
                if (delay > TimeSpan.Zero && !CommandDispatcher.IsHandshake(name))
                {
                    await Task.Delay(delay, stopping);
                }

                byte[] message = WireProtocol.EncodeReply(request, Interlocked.Increment(ref _nextReplyId), reply);
                await stream.WriteAsync(message, stopping);
            }
        }
        catch (Exception)
        {
            // The client hung up, the server is stopping, or the bytes were not a message we
            // understand: in every case this connection is over. (Command failures never get
            // here; the dispatcher turns them into error replies.)
        }
        finally
        {
            _clients.TryRemove(connectionId, out _);
            client.Dispose();
        }
    }
}
