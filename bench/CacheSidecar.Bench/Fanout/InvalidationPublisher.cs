using System.Diagnostics;
using System.Globalization;
using CacheSidecar.Bench.Load;
using StackExchange.Redis;

namespace CacheSidecar.Bench.Fanout;

/// <summary>
/// Publishes invalidations the way the sidecar does — StackExchange.Redis <c>ScriptEvaluateAsync</c> of the Lua
/// step, routed by its key to the namespace's node — at a fixed offered rate, open loop: message i is due at
/// start + i / rate and sent when due whatever is still in flight (one dedicated pacing thread, see
/// <see cref="Pacer"/>), round robin over the namespaces. Each message carries its <em>intended</em> send time (a
/// Stopwatch timestamp, one clock for the whole process) as its key, so a stalled publisher is charged to the
/// delivery delay instead of quietly lowering the rate.
/// </summary>
internal sealed class InvalidationPublisher : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;

    private InvalidationPublisher(ConnectionMultiplexer redis) => _redis = redis;

    public static async Task<InvalidationPublisher> ConnectAsync(string configuration) =>
        new(await ConnectionMultiplexer.ConnectAsync(configuration));

    public async Task<PublishRun> RunAsync(FanoutLayout layout, bool sharded, int rate, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var count = (int)(rate * duration.TotalSeconds);
        var calls = new Task<RedisResult>[count];
        var ticksPerCall = (double)Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);

        // A thread of its own rather than the thread pool: the pool is busy with thousands of socket reads.
        await Task.Factory.StartNew(
            () =>
            {
                Pacer.TightenTimerSlack();
                for (var i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
                {
                    var due = start + (long)(i * ticksPerCall);
                    Pacer.SleepUntil(due);
                    var ns = i % layout.Namespaces.Count;
                    var key = string.Create(CultureInfo.InvariantCulture, $"\nu:{due}");
                    calls[i] = sharded
                        ? db.ScriptEvaluateAsync(PublishScripts.Sharded, [layout.SequenceKeys[ns]],
                            [layout.ShardChannels[ns], "\nk" + key])
                        : db.ScriptEvaluateAsync(PublishScripts.Classic, [layout.SequenceKeys[ns]],
                            [layout.ClassicChannel, layout.Namespaces[ns], key]);
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        cancellationToken.ThrowIfCancellationRequested();

        var perNamespace = new long[layout.Namespaces.Count];
        long errors = 0;
        string? firstError = null;
        for (var i = 0; i < count; i++)
        {
            var ns = i % perNamespace.Length;
            try
            {
                // Sequences start at 1 in every point (a fresh prefix) and a namespace's calls go out in order,
                // so the highest sequence is the namespace's message count, whatever failed in between.
                var sequence = (long)await calls[i];
                var expected = perNamespace[ns] + 1;
                perNamespace[ns] = Math.Max(perNamespace[ns], sequence);
                if (sequence != expected)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"{layout.Namespaces[ns]}: sequence {sequence}, expected {expected}"));
                }
            }
            catch (Exception ex) when (ex is RedisException or InvalidDataException or TimeoutException)
            {
                errors++;
                firstError ??= ex.Message;
            }
        }

        return new PublishRun(perNamespace, errors, firstError, start, Stopwatch.GetTimestamp());
    }

    public ValueTask DisposeAsync() => _redis.DisposeAsync();
}
