using CacheSidecar.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Store;

/// <summary>
/// Purges delete tombstones past their <c>TombstoneRetention</c> for stores without a TTL index
/// (the embedded SQLite file), once a minute. A failed pass is retried at the next tick: a
/// tombstone kept a little longer only costs a row.
/// </summary>
internal sealed class TombstoneSweeper(IRecordStore store, TimeProvider time, ILogger<TombstoneSweeper> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await store.PurgeTombstonesAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                SidecarLog.TombstonePurgeFailed(logger, ex.Message, Interval);
            }
        }
    }
}
