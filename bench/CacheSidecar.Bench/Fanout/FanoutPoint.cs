using System.Diagnostics;
using HdrHistogram;

namespace CacheSidecar.Bench.Fanout;

/// <summary>One scheme at one instance count: what was published, delivered, lost, how late, at what cost.</summary>
/// <param name="Connections">Subscriber sockets the instances needed.</param>
/// <param name="Subscriptions">Channel subscriptions over all of them.</param>
/// <param name="Expected">Deliveries that should happen: each message times the connections receiving it.</param>
/// <param name="Reads">Socket reads that returned data, over all subscribers.</param>
/// <param name="Delays">Delivery delays, µs, from the intended send time to the subscriber's read.</param>
/// <param name="SameNodeDelays">The part of them for messages published on the subscriber's own node.</param>
/// <param name="ViaBusDelays">The part for messages that crossed the cluster bus (classic only).</param>
/// <param name="LastReceive">Stopwatch timestamp of the last delivery.</param>
/// <param name="RedisCores">Per node, CPU time over the run's wall-clock time (publishing and draining).</param>
/// <param name="BenchCores">The same for this process: publisher and every subscriber.</param>
/// <param name="BusPublishPerSecond">Pub/sub messages the nodes sent each other over the cluster bus, per s.</param>
/// <param name="Problem">A broken subscriber connection, or null.</param>
internal sealed record FanoutPoint(
    FanoutScheme Scheme,
    int Instances,
    int Connections,
    long Subscriptions,
    int OfferedRate,
    PublishRun Publish,
    long Expected,
    long Delivered,
    long Lost,
    long Gaps,
    long Reads,
    LongHistogram Delays,
    LongHistogram SameNodeDelays,
    LongHistogram ViaBusDelays,
    long LastReceive,
    IReadOnlyList<double> RedisCores,
    double BenchCores,
    double BusPublishPerSecond,
    string? Problem)
{
    public double PublishedPerSecond => Publish.Seconds <= 0 ? 0 : Publish.Published / Publish.Seconds;

    /// <summary>Deliveries over the time from the first message due to the last one received.</summary>
    public double DeliveredPerSecond =>
        LastReceive <= Publish.Start ? 0 : Delivered / ((double)(LastReceive - Publish.Start) / Stopwatch.Frequency);

    public double DeliveriesPerMessage => Publish.Published == 0 ? 0 : (double)Delivered / Publish.Published;

    /// <summary>Messages one socket read carried on average: above 1 when subscribers read behind Redis.</summary>
    public double MessagesPerRead => Reads == 0 ? 0 : (double)Delivered / Reads;

    /// <summary>Every message reached every subscriber that should have it, once and in order.</summary>
    public bool Complete => Lost == 0 && Gaps == 0 && Delivered == Expected && Problem is null && Publish.Errors == 0;

    public double DelayMilliseconds(double percentile) => Milliseconds(Delays, percentile);

    public double MaxDelayMilliseconds => Milliseconds(Delays, 100);

    /// <summary>A percentile of <paramref name="delays"/> in ms (100: the maximum), NaN when empty.</summary>
    public static double Milliseconds(HistogramBase delays, double percentile) =>
        delays.TotalCount == 0 ? double.NaN
        : percentile >= 100 ? delays.GetMaxValue() / 1000.0
        : delays.GetValueAtPercentile(percentile) / 1000.0;
}
